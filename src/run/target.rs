//! The boundary the runner drives: a system that carries out a plan's steps
//! on a clock the runner moves. The turmoil world is one target
//! ([`super::runner::WorldTarget`]); a system under test behind the driver
//! protocol is the other (`crate::driver::client::HttpTarget`). Both get the
//! same plan through [`play`]; what they did is read back the same way (the
//! mocks' journals and each device's observations), so one `Outcome` and one
//! set of checks serve both.

use crate::core::time::SimTime;
use crate::scenario::plan::{Plan, Step};

/// A target stopped and cannot go on; why is already in its trace (a harness
/// error, an exhausted budget, a system under test that hung).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

/// What the runner asks of a target.
pub trait Target {
    /// Makes everything due up to `to` happen — heartbeat timeouts, DND and
    /// duration expiries, retry waits — and leaves the clock at `to`, with
    /// the steps given so far carried out.
    fn advance(&mut self, to: SimTime) -> Result<(), Stopped>;
    /// Carries out `step` at the current time.
    fn apply(&mut self, step: &Step) -> Result<(), Stopped>;
    /// After the last step: goes on until nothing more is due.
    fn finish(&mut self) -> Result<(), Stopped>;
}

/// Plays `plan` on `target`: each step at its time, then the tail.
pub fn play(plan: &Plan, target: &mut dyn Target) -> Result<(), Stopped> {
    for step in &plan.steps {
        target.advance(step.at)?;
        target.apply(step)?;
    }
    target.finish()
}
