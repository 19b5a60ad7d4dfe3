//! Database entities, one module per table.
//!
//! These types describe storage only. GraphQL types live beside each domain
//! area in the service crate, so a column added here (a password hash, say)
//! never reaches the API by accident.

pub mod activity;
pub mod activity_type;
pub mod audience;
pub mod audit_event;
pub mod brand;
pub mod brand_data_version;
pub mod campaign;
pub mod campaign_community;
pub mod certification;
pub mod channel;
pub mod community;
pub mod consultant_assignment;
pub mod content_item;
pub mod content_metric;
pub mod content_recipient;
pub mod content_review;
pub mod content_version;
pub mod customer;
pub mod customer_order;
pub mod customer_order_summary;
pub mod enrollment;
pub mod feedback;
pub mod finding_tag;
pub mod gathering_place;
pub mod integration;
pub mod integration_token;
pub mod member;
pub mod member_identity;
pub mod membership;
pub mod refresh_token;
pub mod report_share_link;
pub mod report_snapshot;
pub mod research_finding;
pub mod research_tag;
pub mod reward_grant;
pub mod reward_programme;
pub mod role_requirement;
pub mod survey_response;
pub mod trainee;
pub mod training_module;
pub mod training_programme;
pub mod training_statement;
pub mod user;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
