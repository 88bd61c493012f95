//! The `pushsim` binary: parse arguments, run the command, map the result to an
//! exit code (0 all passed, 1 some scenario failed, 2 input or harness failure).

/// mimalloc, not glibc's malloc: the simulation allocates and frees small
/// values on every push (frames, requests, trace entries), where glibc's
/// free and consolidation cost a quarter of the instructions outside the
/// vendor call (callgrind on `pushsim bench --only bridge`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pushsim::cli::main()
}
