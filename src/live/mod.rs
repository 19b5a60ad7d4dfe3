//! Live updates: GraphQL subscriptions over WebSocket (`graphql-transport-ws`)
//! fed by the events every change announces in its transaction. An event
//! leaves only once its transaction commits, reaches the subscribers of
//! every instance through the bus (Redis, PostgreSQL `NOTIFY` or this
//! process), and is sent only to subscribers who may read its brand at that
//! moment; a token that no longer stands closes the connection.

pub mod bus;
pub mod graphql;
pub mod service;
pub mod ws;
