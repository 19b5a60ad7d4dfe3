//! A brand's data version: bumped in the same transaction as every write to
//! the data its reports are computed from, and part of every report cache
//! key, so new data shows in the next report and other brands' caches stay.

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{cache::CacheKey, context::AppContext, db, error::AppResult};

fn key(brand: Uuid) -> CacheKey {
    CacheKey::brand(brand, "data-version")
}

/// Bumps the brand's version inside the caller's transaction. Call
/// [`forget`] after the commit.
pub async fn bump<C: ConnectionTrait>(db: &C, brand: Uuid) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(db::raw(
        backend,
        "INSERT INTO brand_data_version (brand_id, version) VALUES (?, 1) \
         ON CONFLICT (brand_id) DO UPDATE SET version = brand_data_version.version + 1",
        vec![brand.into()],
    ))
    .await?;
    Ok(())
}

/// Drops the cached version after a bump has committed.
pub async fn forget(app: &AppContext, brand: Uuid) {
    app.cache.delete(&key(brand)).await;
}

/// The brand's current version (cached; a cache hit touches no database).
pub async fn current(app: &AppContext, brand: Uuid) -> AppResult<i64> {
    let k = key(brand);
    if let Some(v) = app.cache.get_json::<i64>(&k).await {
        return Ok(v);
    }
    let v = entity::brand_data_version::Entity::find_by_id(brand)
        .one(&app.db)
        .await?
        .map(|r| r.version)
        .unwrap_or(0);
    app.cache.set_json(&k, &v).await;
    Ok(v)
}
