//! Running plans: the runner (the only module that sees both the plan and the
//! simulated world) and the trace it produces.

pub mod affinity;
pub mod describe;
pub mod observe;
pub mod runner;
pub mod target;
pub mod trace;
