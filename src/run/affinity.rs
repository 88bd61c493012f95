//! Keeping a run and its mock vendors on one CPU.
//!
//! A run is a ping-pong: the simulation makes a blocking call, a mock's
//! thread answers it, the simulation goes on. Nothing overlaps, so a second
//! CPU buys nothing, and it costs: each hand-over between threads on two
//! CPUs wakes an idle CPU, and on a virtual machine whose guest does not
//! poll before halting (`haltpoll.guest_halt_poll_ns=0`, as on ours) that
//! wake is an exit to the host. perf showed half of a push's time in the
//! kernel's wake-up and switch paths; with the threads on one CPU the
//! hand-over is a plain context switch. Measured with `pushsim bench`
//! (issue 13): the bridge went from ~5,500 to ~10,500 pushes/s, the 7-day
//! scenario from 0.46 to 0.29 s.
//!
//! Threads inherit their creator's CPU set, so pinning the thread that will
//! start the mocks (wiremock spawns a server thread per mock) holds them all.
//! Only the commands whose work is that ping-pong pin (`run`, `explain`,
//! `bench`); `conform` does not, as a system under test it starts would
//! inherit the set too.

/// The calling thread held on one CPU until dropped; then its CPU set is
/// what it was.
pub struct Pinned {
    /// The set to restore and the CPU held, when pinned.
    #[cfg(target_os = "linux")]
    was: Option<(rustix::thread::CpuSet, usize)>,
}

impl Pinned {
    /// Holds the calling thread, and every thread it starts from now on, on
    /// the CPU it last ran on. Where that cannot be done (another OS, a
    /// sandbox that refuses), nothing changes: the run is only slower.
    pub fn here() -> Pinned {
        Pinned::to(None)
    }

    /// As [`Pinned::here`], on the `nth` CPU (counted round) of those the
    /// thread may use: shards of one corpus run side by side on one machine
    /// (`run --shard K/N`) then take different CPUs instead of whichever
    /// each started on. `PUSHSIM_PIN=0` in the environment pins nothing.
    pub fn to(nth: Option<usize>) -> Pinned {
        #[cfg(target_os = "linux")]
        {
            use rustix::thread::{sched_getaffinity, sched_setaffinity, CpuSet};
            if std::env::var("PUSHSIM_PIN").is_ok_and(|v| v == "0") {
                return Pinned { was: None };
            }
            let Ok(was) = sched_getaffinity(None) else {
                return Pinned { was: None };
            };
            let allowed = cpus_in(&was);
            let cpu = match nth {
                Some(n) if !allowed.is_empty() => Some(allowed[n % allowed.len()]),
                _ => current_cpu(),
            };
            let Some(cpu) = cpu.filter(|c| allowed.contains(c)) else {
                return Pinned { was: None };
            };
            let mut one = CpuSet::new();
            one.set(cpu);
            let pinned = sched_setaffinity(None, &one).is_ok();
            Pinned {
                was: pinned.then_some((was, cpu)),
            }
        }
        #[cfg(not(target_os = "linux"))]
        Pinned {}
    }

    /// The CPU the thread is held on, if it is.
    pub fn cpu(&self) -> Option<usize> {
        #[cfg(target_os = "linux")]
        {
            self.was.as_ref().map(|&(_, cpu)| cpu)
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some((was, _)) = self.was.take() {
            let _ = rustix::thread::sched_setaffinity(None, &was);
        }
    }
}

/// The CPUs a set holds, in order.
#[cfg(target_os = "linux")]
fn cpus_in(set: &rustix::thread::CpuSet) -> Vec<usize> {
    (0..rustix::thread::CpuSet::MAX_CPU)
        .filter(|&c| set.is_set(c))
        .collect()
}

/// The CPU the calling thread last ran on: field 39 of
/// `/proc/thread-self/stat`. Not `sched_getcpu`: rustix reads that from the
/// vDSO, and its vDSO set-up crashed the binary under valgrind (a segfault
/// in `rustix::backend::param::auxv::check_elf_base`), so no run could be
/// profiled with callgrind.
#[cfg(target_os = "linux")]
fn current_cpu() -> Option<usize> {
    processor_of(&std::fs::read_to_string("/proc/thread-self/stat").ok()?)
}

/// The `processor` field of a `stat` line. The command name (field 2) is in
/// parentheses and may itself hold spaces and parentheses, so fields are
/// counted from the last `)`: the state, field 3, comes first.
#[cfg(target_os = "linux")]
fn processor_of(stat: &str) -> Option<usize> {
    let fields = &stat[stat.rfind(')')? + 1..];
    fields.split_whitespace().nth(39 - 3)?.parse().ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::{cpus_in, processor_of, Pinned};
    use rustix::thread::sched_getaffinity;

    fn cpus() -> Vec<usize> {
        cpus_in(&sched_getaffinity(None).expect("own CPU set"))
    }

    /// Pinned: one CPU, taken from the set the thread had, inherited by a
    /// thread started while pinned (the mocks' server threads are such
    /// threads); dropped: the thread has its whole set back.
    #[test]
    fn a_pinned_thread_and_its_children_share_one_cpu_until_dropped() {
        // A thread of its own: the test harness's thread is left as it was.
        std::thread::spawn(|| {
            let before = cpus();
            let pin = Pinned::here();
            let Some(cpu) = pin.cpu() else {
                // A sandbox that refuses sched_setaffinity: nothing changed.
                assert_eq!(cpus(), before);
                return;
            };
            assert_eq!(cpus(), vec![cpu]);
            assert!(before.contains(&cpu), "{cpu} not in {before:?}");
            let child = std::thread::spawn(cpus).join().expect("child runs");
            assert_eq!(child, vec![cpu], "a thread started while pinned");
            drop(pin);
            assert_eq!(cpus(), before, "the set is restored");
        })
        .join()
        .expect("the pinned thread's checks pass");
    }

    /// The first 45 fields of a real `/proc/<pid>/stat` line (processor 1),
    /// and the same with a
    /// command name that holds spaces and a `)`, which would shift a naive
    /// split.
    #[test]
    fn the_processor_is_field_39_counted_past_the_command_name() {
        let line = "1170 (cat) R 1167 1167 8604 0 -1 4194304 126 0 0 0 0 0 0 0 20 0 1 0 \
                    1139332 3133440 362 18446744073709551615 94903069323264 94903069343145 \
                    140720532447856 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94903069359152";
        assert_eq!(processor_of(line), Some(1));
        let odd = line.replace("(cat)", "(a b) (c)");
        assert_eq!(processor_of(&odd), Some(1));
        assert_eq!(processor_of("1170 (cat) R 1167"), None, "too short");
        assert_eq!(processor_of("no name here"), None);
        // This machine's own line names a CPU the thread may run on.
        let own = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
        let cpu = processor_of(&own).expect("a processor field");
        assert!(cpus().contains(&cpu), "{cpu} not in {:?}", cpus());
    }

    /// Shards take the allowed CPUs in turn, counted round.
    #[test]
    fn the_nth_pin_takes_the_nth_allowed_cpu() {
        std::thread::spawn(|| {
            let allowed = cpus();
            for n in 0..allowed.len() + 1 {
                let pin = Pinned::to(Some(n));
                if pin.cpu().is_none() {
                    return; // refused here: nothing to check
                }
                assert_eq!(cpus(), vec![allowed[n % allowed.len()]], "shard {n}");
            }
        })
        .join()
        .expect("the pinned thread's checks pass");
    }
}
