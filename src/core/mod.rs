//! The reference push pipeline's decision core: pure, synchronous, no IO, no
//! clock, no randomness. Every function that needs time takes `now`.
//!
//! Rule families (RULES.md ids): presence PRS, multi-device MDV, tokens TOK,
//! messages MSG, remind type RT, DND window DNDW, DND duration DNDD, combination
//! DNDX, badge BDG, delivery DLV, content CNT, routing VND.

pub mod badge;
pub mod content;
pub mod decide;
pub mod io;
pub mod json;
pub mod model;
pub mod presence;
pub mod profile;
pub mod server;
pub mod settings;
pub mod time;
