//! A brand's data version: bumped in the same transaction as every write to
//! the brand or to the data its reports are computed from, and part of every
//! cache key of such data, so a committed write shows in the next read and
//! other brands' caches stay. See [`crate::cache::versions`] for why it can
//! never be served stale.

use uuid::Uuid;

use crate::{
    cache::versions::{Subject, VersionsRead},
    context::AppContext,
    db::WriteTxn,
    error::AppResult,
};

/// Bumps the brand's version when `txn` commits.
pub fn bump(txn: &mut WriteTxn, brand: Uuid) {
    txn.touch(Subject::BrandData(brand));
}

/// The brand's current version (a cache hit touches no database).
pub async fn current(app: &AppContext, brand: Uuid) -> AppResult<i64> {
    app.versions
        .current(&app.db, Subject::BrandData(brand))
        .await
}

/// The brand's version as read earlier in the request (see
/// [`VersionsRead`]), else as [`current`] reads it.
pub async fn current_or_read(app: &AppContext, brand: Uuid, read: &VersionsRead) -> AppResult<i64> {
    app.versions
        .current_or_read(&app.db, Subject::BrandData(brand), read)
        .await
}
