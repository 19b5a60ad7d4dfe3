//! Scheduling content: an approved item takes a slot under its
//! community's cadence policy (quiet hours, minimum gap, weekly maximum of
//! prompts), refused with the conflicting items named; the next allowed
//! slots; the brand's content calendar with each entry's conflicts; and,
//! for offers, the members an item reaches under the brand's cap, fixed
//! when it takes its slot. Rules in `docs/campaigns.md`.
//!
//! `cadence.rs` holds the cadence guard itself (pure); `offers.rs` whom
//! offers reach; `service.rs` slots, the approval deadline and the
//! calendar; `graphql.rs` types and thin resolvers; `loaders.rs` its
//! DataLoaders.

pub mod cadence;
pub mod graphql;
pub mod loaders;
pub mod offers;
pub mod service;
