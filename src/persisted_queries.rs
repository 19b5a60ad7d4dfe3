//! Persisted queries, in the form Apollo clients send them
//! (`extensions.persistedQuery { version: 1, sha256Hash }`).
//!
//! - **Automatic**: a request with only the hash runs the document
//!   registered under it, or answers `PERSISTED_QUERY_NOT_FOUND`; the client
//!   then sends the document with its hash, which is checked (a hash that is
//!   not the document's SHA-256 is refused) and, once the document passes
//!   the document limits, registered. Registered documents are shared by
//!   every instance through the cache (Redis, or in-process on the embedded
//!   default), with an in-process copy in front.
//! - **Allow-list**: with `persisted_queries.allow_list_file`, a manifest
//!   loaded at start-up, only its documents run (by hash, or sent in full),
//!   and nothing can be registered.

use std::{collections::HashMap, path::Path, sync::Arc};

use anyhow::{bail, Context as _};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    cache::{Cache, CacheKey},
    config::Settings,
    error::code,
};

/// Bytes of document text kept in process.
const LOCAL_BYTES: u64 = 8 * 1024 * 1024;

/// Registered documents and the allow-list.
pub struct Persisted {
    local: moka::sync::Cache<String, Arc<str>, ahash::RandomState>,
    allow_list: Option<HashMap<String, Arc<str>>>,
}

/// Why a request gets no document.
#[derive(Debug)]
pub struct Refused {
    /// Stable code.
    pub code: &'static str,
    /// What to do about it.
    pub message: String,
}

/// The document a request runs, and the hash to register it under once it
/// passed the document limits.
pub struct Resolved {
    /// The document (none: the request named none).
    pub query: Option<String>,
    /// Register the document under this hash.
    pub register: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: Option<i64>,
    sha256_hash: String,
}

/// An Apollo persisted-query manifest.
#[derive(Deserialize)]
struct Manifest {
    operations: Vec<ManifestOperation>,
}

#[derive(Deserialize)]
struct ManifestOperation {
    id: String,
    body: String,
}

/// The SHA-256 of a document, lower-case hex.
pub fn sha256(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

fn bad(message: &str) -> Refused {
    Refused {
        code: code::BAD_USER_INPUT,
        message: message.into(),
    }
}

/// Reads an allow-list: an Apollo manifest (`{ "operations": [{ "id",
/// "body" }] }`) or an object of id to document; each id must be its
/// document's SHA-256.
pub fn read_allow_list(path: &Path) -> anyhow::Result<HashMap<String, Arc<str>>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "could not read persisted_queries.allow_list_file {}",
            path.display()
        )
    })?;
    let json: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let entries: Vec<(String, String)> = if json.get("operations").is_some() {
        let manifest: Manifest = serde_json::from_value(json)
            .with_context(|| format!("{} is not a persisted-query manifest", path.display()))?;
        manifest
            .operations
            .into_iter()
            .map(|o| (o.id, o.body))
            .collect()
    } else {
        serde_json::from_value::<HashMap<String, String>>(json)
            .with_context(|| {
                format!(
                    "{} is neither a manifest nor an object of id to document",
                    path.display()
                )
            })?
            .into_iter()
            .collect()
    };
    let mut out = HashMap::new();
    for (id, body) in entries {
        let actual = sha256(&body);
        if id.to_ascii_lowercase() != actual {
            bail!(
                "{}: the entry {id} is not the SHA-256 of its document ({actual})",
                path.display()
            );
        }
        out.insert(actual, Arc::from(body));
    }
    Ok(out)
}

impl Persisted {
    /// Loads the allow-list, if the settings name one.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let allow_list = settings
            .persisted_queries
            .allow_list_file
            .as_deref()
            .map(read_allow_list)
            .transpose()?;
        Ok(Self {
            local: moka::sync::Cache::builder()
                .weigher(|k: &String, v: &Arc<str>| {
                    u32::try_from(k.len() + v.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(LOCAL_BYTES)
                .build_with_hasher(ahash::RandomState::new()),
            allow_list,
        })
    }

    /// Whether only allow-listed documents run.
    pub fn allow_list_only(&self) -> bool {
        self.allow_list.is_some()
    }

    /// The document a request runs, from its `query` and `extensions`.
    pub async fn resolve(
        &self,
        cache: &Cache,
        query: Option<String>,
        extensions: Option<&Value>,
    ) -> Result<Resolved, Refused> {
        let asked = match extensions.and_then(|e| e.get("persistedQuery")) {
            None | Some(Value::Null) => None,
            Some(v) => {
                let p: PersistedQuery = serde_json::from_value(v.clone()).map_err(|_| {
                    bad("extensions.persistedQuery must be { \"version\": 1, \"sha256Hash\": \"<hex>\" }")
                })?;
                if p.version.unwrap_or(1) != 1 {
                    return Err(bad("extensions.persistedQuery.version must be 1"));
                }
                let hash = p.sha256_hash.to_ascii_lowercase();
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad(
                        "extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits",
                    ));
                }
                Some(hash)
            }
        };
        let query = query.filter(|q| !q.trim().is_empty());
        if let (Some(q), Some(hash)) = (&query, &asked) {
            if sha256(q) != *hash {
                return Err(bad(
                    "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query",
                ));
            }
        }
        match (&self.allow_list, query, asked) {
            (Some(list), Some(q), _) => {
                if list.contains_key(&sha256(&q)) {
                    Ok(Resolved {
                        query: Some(q),
                        register: None,
                    })
                } else {
                    Err(Refused {
                        code: code::DOCUMENT_NOT_ALLOWED,
                        message: "this server runs only the documents on its allow-list".into(),
                    })
                }
            }
            (Some(list), None, Some(hash)) => match list.get(&hash) {
                Some(q) => Ok(Resolved {
                    query: Some(q.to_string()),
                    register: None,
                }),
                None => Err(not_found()),
            },
            (None, Some(q), Some(hash)) => Ok(Resolved {
                query: Some(q),
                register: Some(hash),
            }),
            (None, None, Some(hash)) => match self.lookup(cache, &hash).await {
                Some(q) => Ok(Resolved {
                    query: Some(q.to_string()),
                    register: None,
                }),
                None => Err(not_found()),
            },
            (_, query, None) => Ok(Resolved {
                query,
                register: None,
            }),
        }
    }

    async fn lookup(&self, cache: &Cache, hash: &str) -> Option<Arc<str>> {
        if let Some(q) = self.local.get(hash) {
            return Some(q);
        }
        let bytes = cache.get_bytes(&CacheKey::document(hash)).await?;
        let text = std::str::from_utf8(&bytes).ok()?;
        // What the cache holds is checked like what a client sends.
        if sha256(text) != hash {
            return None;
        }
        let q: Arc<str> = Arc::from(text);
        self.local.insert(hash.to_string(), q.clone());
        Some(q)
    }

    /// Registers a document that passed the document limits.
    pub async fn register(&self, cache: &Cache, hash: String, query: &str) {
        if self.local.contains_key(&hash) {
            return;
        }
        cache
            .set_bytes(&CacheKey::document(&hash), query.as_bytes().to_vec())
            .await;
        self.local.insert(hash, Arc::from(query));
    }
}

fn not_found() -> Refused {
    Refused {
        code: code::PERSISTED_QUERY_NOT_FOUND,
        message: "PersistedQueryNotFound: send the query with its hash".into(),
    }
}
