//! Replayed responses: a query made only of versioned root fields (see
//! [`crate::response_cache::CachedValue`]) answers with bytes that depend only on the
//! request and those fields' versioned keys. Such a response is kept by the
//! exact request and sent again for the same request without executing,
//! after every field's key has been recomputed for the caller at hand (its
//! argument checks, authorisation and data version) and found unchanged.
//! Anything else, or a key that moved, runs in full as usual.

use std::{collections::HashSet, sync::Arc, time::Duration};

use actix_web::web::Bytes;
use async_graphql::parser::types::{ExecutableDocument, SelectionSet};

use super::limits::root_fields_all;
use crate::{
    auth::Caller,
    cache::versions::{Subject, VersionsRead},
    context::AppContext,
    response_cache::{CacheKeyCheck, ReplayableField},
};

/// A kept response, by the request it answers.
pub struct KeptResponse {
    /// The response body as first sent.
    pub body: Bytes,
    /// The operation's metrics label.
    pub label: String,
    /// Each root field's versioned key and how to recompute it.
    fields: Vec<(String, Arc<dyn CacheKeyCheck>)>,
}

impl KeptResponse {
    /// The versions its fields' keys read, to be read with the caller's
    /// admission.
    pub fn subjects(&self) -> Vec<Subject> {
        let mut all: Vec<Subject> = Vec::new();
        for s in self.fields.iter().flat_map(|(_, k)| k.subjects()) {
            if !all.contains(&s) {
                all.push(s);
            }
        }
        all
    }

    /// Whether the response is still valid for `caller`: every field gives
    /// the same key again (an error, such as a refused caller, means no).
    /// `read` holds versions already read in this request.
    pub async fn still_valid_for(
        &self,
        app: &AppContext,
        caller: &Caller,
        read: &VersionsRead,
    ) -> bool {
        for (key, key_check) in &self.fields {
            match key_check.key(app, caller, read).await {
                Ok(now) if now.as_str() == key => {}
                _ => return false,
            }
        }
        true
    }
}

/// The request a replay answers: the method (GET or not) and the exact
/// request bytes (POST body or GET query string).
pub type ReplayKey = (bool, Bytes);

/// Kept responses, bounded by total size.
pub type KeptResponses = moka::sync::Cache<ReplayKey, Arc<KeptResponse>, ahash::RandomState>;

/// Bytes of requests and responses [`KeptResponses`] holds at most.
const REPLAY_BYTES: u64 = 32 * 1024 * 1024;

/// An empty replay cache; entries live at most `ttl`.
pub fn replay_cache(ttl: Duration) -> KeptResponses {
    moka::sync::Cache::builder()
        .weigher(|(_, request): &ReplayKey, replay: &Arc<KeptResponse>| {
            u32::try_from(request.len() + replay.body.len()).unwrap_or(u32::MAX)
        })
        .max_capacity(REPLAY_BYTES)
        .time_to_live(ttl)
        .build_with_hasher(ahash::RandomState::new())
}

/// A replay of a response that ran without errors, if every root field the
/// operation selects is `__typename` or a recorded replayable field.
pub fn replay_of(
    doc: &ExecutableDocument,
    operation: &SelectionSet,
    recorded: Vec<ReplayableField>,
    body: Bytes,
    label: String,
) -> Option<KeptResponse> {
    if recorded.is_empty() {
        return None;
    }
    let keys: HashSet<&str> = recorded.iter().map(|f| f.response_key.as_str()).collect();
    let covered = root_fields_all(doc, operation, &|name, key| {
        name == "__typename" || keys.contains(key)
    });
    if !covered {
        return None;
    }
    Some(KeptResponse {
        body,
        label,
        fields: recorded.into_iter().map(|f| (f.key, f.key_check)).collect(),
    })
}
