//! Hearth: the GraphQL back end of an agency that builds micro-communities
//! for client brands.
//!
//! The crate's map, one line per module:

// The schema merges one query and one mutation object per area; resolving
// them nests that many futures, past the default limit of 128.
#![recursion_limit = "256"]

/// jemalloc for every binary built on the crate (the server, its tests and
/// benchmarks), with its background purging turned on at start-up
/// ([`telemetry::return_idle_memory`]): pages freed after a burst such as a
/// 10,000-row ingest go back to the system within seconds even when the
/// threads that freed them sit idle, where the system allocator and
/// mimalloc keep the resident set near its peak until those threads
/// allocate again.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod account; // sign-in, tokens, users and consultants' assignments
pub mod activity; // activity types and weights; bulk activity ingest
pub mod audit; // the append-only audit log
pub mod auth; // tokens, passwords, callers, brand scope, rate limits
pub mod brand; // client brands: the tenants
pub mod cache; // Redis, or in-process when no Redis is configured
pub mod campaign; // content campaigns: plans, targets, communities
pub mod certification; // certifications, roles that require them, training gaps
pub mod commerce; // customers, orders and survey responses pushed in bulk
pub mod community; // communities, channels, cadence policy, setup checklist
pub mod config; // settings: defaults < file < environment, secrets redacted
pub mod content; // campaign content items: fields, versions, the client's review
pub mod context; // what resolvers can reach, and argument helpers
pub mod db; // database connection and migrations
pub mod db_enum; // string-backed enums shared by GraphQL and storage
pub mod demo; // `hearth demo`: a realistic agency loaded through the API
pub mod demo_story; // the demo agency as data: its brands, people and seeded draws
pub mod engagement; // scores, levels, bands, slipping away, community health
pub mod error; // one error type with stable client codes
pub mod feedback; // members' feedback, its workflow and statistics
pub mod finding; // research findings: recorded, ingested, tagged, searched in full text
pub mod graphql; // the schema: every area's queries and mutations, with limits
pub mod http; // routes, the GraphQL endpoint, health, metrics, middleware
pub mod impact; // the impact report's figures: sales, joiners, retention, satisfaction, matched
pub mod ingest; // what every bulk ingest shares
pub mod insight; // what the evidence says, and the community recommendation
pub mod integration; // brands' machine clients and their tokens
pub mod live; // live updates: subscriptions over WebSocket, fed by committed events
pub mod loaders; // per-request DataLoaders, keyed by type, never shared
pub mod member; // members, identities, memberships; merge and erasure
pub mod node; // Relay object identification: the Node interface, node and nodes
pub mod pagination; // Relay connections with keyset cursors
pub mod persisted_queries; // automatic persisted queries and the allow-list
pub mod publishing; // claims under a lease, publishing reports, metrics and results
pub mod recognition; // reward programmes, grants, suggestions, reward impact
pub mod report_page; // the client report page: HTML and CSV of a frozen report, share links
pub mod reporting; // reports served under the freshness policy, time series, snapshots
pub mod research; // audiences, the codebook of tags, gathering places
pub mod response_cache; // GraphQL output reused for cached values, and replays
pub mod schedule; // slots under the cadence guard, the calendar, offers' recipients
pub mod startup; // build the app from settings; bind; run
pub mod stats; // Welch intervals, the delta method, a seeded bootstrap
pub mod telemetry; // logs and Prometheus metrics
pub mod text; // words, the codebook's keyword rule and the search syntax (research areas)
pub mod trainee; // a brand's trainees and their enrollments
pub mod training; // team training: the catalogue of programmes and modules
pub mod training_result; // training results, the moveOn rules, issuing certifications, the report
pub mod validation; // input checks shared by every area
pub mod webhook; // webhook endpoints, the outbox and the signed delivery worker
