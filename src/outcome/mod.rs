//! Outcomes: a pure function of a plan and its trace. `summarize` builds the
//! [`Outcome`], `render` turns it into the snapshot text, `check` evaluates the
//! scenario's `expect:` against it. Ordered collections only; nothing here
//! depends on the seed unless the trace does.

pub mod check;
pub mod observable;
pub mod render;
pub mod settings;
pub mod summarize;

pub use check::{check, Mismatch};
pub use render::{escape_invisible, invisible, render, render_explain};
pub use summarize::{summarize, Outcome};
