//! Integration tests: every test starts the real HTTP server on port 0 with a
//! database of its own (a fresh SQLite file, or a fresh PostgreSQL database
//! when TEST_DATABASE_URL is set) and, when TEST_REDIS_URL is set, Redis with
//! a key prefix of its own. When those variables are set and the services
//! cannot be reached, tests fail; they never skip.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
#![allow(missing_docs, reason = "test code")]

mod access;
mod auth;
mod brands;
mod campaigns;
mod cli;
mod communities;
mod connections;
mod demo;
mod helpers;
mod http;
mod impact;
mod limits;
mod live;
mod migrations;
mod node;
mod ops;
mod order_summaries;
mod persisted;
mod recognition;
mod report_page;
mod reports_under_writes;
mod research;
mod schema;
mod sessions;
mod statistics;
mod training;
mod webhooks;
