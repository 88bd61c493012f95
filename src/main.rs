//! The `pushsim` binary: parse arguments, run the command, map the result to an
//! exit code (0 all passed, 1 some scenario failed, 2 input or harness failure).

fn main() -> std::process::ExitCode {
    pushsim::cli::main()
}
