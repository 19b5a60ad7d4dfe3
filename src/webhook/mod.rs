//! Webhooks for integrations: endpoints an integration registers for event
//! types, an outbox of deliveries written in the same transaction as the
//! change that causes them, and a worker on every instance that claims due
//! deliveries (one instance per delivery at a time), signs them the way the
//! Standard Webhooks specification describes and retries with exponential
//! backoff for a day.

pub mod delivery;
pub mod graphql;
pub mod outbox;
pub mod scan;
pub mod service;
pub mod sign;
