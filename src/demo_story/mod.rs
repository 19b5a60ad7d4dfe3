//! The demo agency as data: its three client brands, their communities,
//! research, campaigns, training and people (`story.rs`), and what varies
//! from person to person, drawn from a seeded generator so that the same
//! seed and the same last day give the same rows (`generate.rs`). Pure: no
//! database, no I/O. `hearth demo` (the `demo` area) loads it through the
//! API.

pub mod generate;
pub mod story;
