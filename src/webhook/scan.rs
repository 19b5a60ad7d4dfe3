//! Events nothing writes at one instant, found by a periodic scan: members
//! slipping away (the definition of `slippingAway`) and certifications
//! expiring within 30 days (that of `expiringCertifications`). Each is
//! announced once per occasion: a unique marker (a member's slip by the
//! time of their last activity, a certification by its expiry) is inserted
//! in the same transaction as its outbox rows, so instances scanning at the
//! same time announce it once, and a member who comes back and slips again
//! is announced again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::json;
use uuid::Uuid;

use super::outbox::{self, WebhookEvent};
use crate::{
    context::AppContext,
    db::{self, WriteTxn},
    engagement::service as engagement,
    error::AppResult,
};

/// Days ahead a certification counts as expiring.
pub const EXPIRING_DAYS: i64 = 30;

/// Inserts a marker; whether it is new (then the event is due).
async fn mark<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    object: Uuid,
    key: &str,
    brand: Uuid,
) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let res = db
        .execute_raw(db::raw(
            backend,
            "INSERT INTO event_marker (kind, object_id, marker_key, brand_id, created_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
            vec![kind.into(), object.into(), key.into(), brand.into(), Utc::now().into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

#[derive(FromQueryResult)]
struct Expiring {
    id: Uuid,
    brand_id: Uuid,
    trainee_id: Uuid,
    programme_id: Uuid,
    expires_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct Open {
    id: Uuid,
    brand_id: Uuid,
}

#[derive(FromQueryResult)]
struct Slipping {
    member_id: Uuid,
    last_at: DateTime<Utc>,
}

/// One scan; answers the events written.
pub async fn run(app: &AppContext) -> AppResult<usize> {
    let now = Utc::now();
    Ok(certifications(app, now).await? + slipping(app, now).await?)
}

async fn certifications(app: &AppContext, now: DateTime<Utc>) -> AppResult<usize> {
    let backend = app.db.get_database_backend();
    let found = Expiring::find_by_statement(db::raw(
        backend,
        "SELECT c.id AS id, c.brand_id AS brand_id, c.trainee_id AS trainee_id, c.programme_id AS programme_id, c.expires_at AS expires_at \
         FROM certification c WHERE c.revoked_at IS NULL AND c.expires_at > ? AND c.expires_at <= ? \
         AND NOT EXISTS (SELECT 1 FROM certification y WHERE y.enrollment_id = c.enrollment_id AND y.number > c.number) \
         AND NOT EXISTS (SELECT 1 FROM event_marker m WHERE m.kind = 'certification.expiring' AND m.object_id = c.id)",
        vec![now.into(), (now + Duration::days(EXPIRING_DAYS)).into()],
    ))
    .all(&app.db)
    .await?;
    let mut written = 0;
    for c in found {
        let mut txn = WriteTxn::begin(app).await?;
        if mark(
            &txn,
            "certification.expiring",
            c.id,
            &c.expires_at.to_rfc3339(),
            c.brand_id,
        )
        .await?
        {
            outbox::announce(
                &mut txn,
                c.brand_id,
                WebhookEvent::CertificationExpiring,
                json!({ "brandId": c.brand_id, "certificationId": c.id, "traineeId": c.trainee_id, "programmeId": c.programme_id, "expiresAt": c.expires_at }),
            )
            .await?;
            written += 1;
        }
        txn.commit().await?;
    }
    Ok(written)
}

async fn slipping(app: &AppContext, now: DateTime<Utc>) -> AppResult<usize> {
    let backend = app.db.get_database_backend();
    let communities = Open::find_by_statement(db::raw(
        backend,
        "SELECT c.id AS id, c.brand_id AS brand_id FROM community c JOIN brand b ON b.id = c.brand_id \
         WHERE c.status <> 'ARCHIVED' AND b.archived_at IS NULL",
        Vec::new(),
    ))
    .all(&app.db)
    .await?;
    let mut written = 0;
    for c in communities {
        let (inner, values) = engagement::slipping_sql(c.id, now);
        let sql = format!("SELECT s.member_id AS member_id, s.last_at AS last_at FROM ({inner}) s");
        let members = Slipping::find_by_statement(db::raw(backend, &sql, values))
            .all(&app.db)
            .await?;
        if members.is_empty() {
            continue;
        }
        let mut txn = WriteTxn::begin(app).await?;
        for m in members {
            let key = format!("{}:{}", c.id, m.last_at.to_rfc3339());
            if mark(&txn, "member.slipping_away", m.member_id, &key, c.brand_id).await? {
                outbox::announce(
                    &mut txn,
                    c.brand_id,
                    WebhookEvent::MemberSlippingAway,
                    json!({ "brandId": c.brand_id, "communityId": c.id, "memberId": m.member_id, "lastActiveAt": m.last_at }),
                )
                .await?;
                written += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(written)
}
