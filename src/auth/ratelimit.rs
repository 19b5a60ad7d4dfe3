//! Request rate limits: a fixed-window counter in Redis shared by every
//! instance, falling back to an in-process limiter (governor) when Redis is
//! not configured or does not answer.

use std::{
    num::NonZeroU32,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter as Governor};

use crate::{
    cache::Cache,
    config::RateLimitSettings,
    error::{AppError, AppResult},
};

/// What is being limited.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// Login attempts from one IP address.
    LoginPerIp,
    /// Login attempts for one e-mail address.
    LoginPerAccount,
    /// Requests of one user or integration.
    Principal,
    /// Certificate checks from one IP address.
    VerifyPerIp,
    /// Report pages opened by share link from one IP address.
    ReportLinkPerIp,
}

impl Limit {
    fn name(self) -> &'static str {
        match self {
            Self::LoginPerIp => "login-ip",
            Self::LoginPerAccount => "login-account",
            Self::Principal => "principal",
            Self::VerifyPerIp => "verify-ip",
            Self::ReportLinkPerIp => "report-link-ip",
        }
    }
}

const WINDOW: Duration = Duration::from_secs(60);

struct Local {
    login_ip: DefaultKeyedRateLimiter<String>,
    login_account: DefaultKeyedRateLimiter<String>,
    principal: DefaultKeyedRateLimiter<String>,
    verify_ip: DefaultKeyedRateLimiter<String>,
    report_link_ip: DefaultKeyedRateLimiter<String>,
}

/// The rate limiter shared by every request.
#[derive(Clone)]
pub struct RateLimiter {
    cache: Cache,
    settings: RateLimitSettings,
    local: Arc<Local>,
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
}

impl RateLimiter {
    /// Builds the limiter; it uses the cache's Redis connection when there is one.
    pub fn new(cache: Cache, settings: RateLimitSettings) -> Self {
        let local = Local {
            login_ip: Governor::keyed(quota(settings.login_per_ip_per_minute)),
            login_account: Governor::keyed(quota(settings.login_per_account_per_minute)),
            principal: Governor::keyed(quota(settings.requests_per_principal_per_minute)),
            verify_ip: Governor::keyed(quota(settings.verify_per_ip_per_minute)),
            report_link_ip: Governor::keyed(quota(settings.report_link_per_ip_per_minute)),
        };
        Self {
            cache,
            settings,
            local: Arc::new(local),
        }
    }

    fn limit_of(&self, limit: Limit) -> u32 {
        match limit {
            Limit::LoginPerIp => self.settings.login_per_ip_per_minute,
            Limit::LoginPerAccount => self.settings.login_per_account_per_minute,
            Limit::Principal => self.settings.requests_per_principal_per_minute,
            Limit::VerifyPerIp => self.settings.verify_per_ip_per_minute,
            Limit::ReportLinkPerIp => self.settings.report_link_per_ip_per_minute,
        }
    }

    /// Counts one event for `key`; `RATE_LIMITED` with the seconds to wait
    /// once the limit for the current minute is used up.
    pub async fn hit(&self, limit: Limit, key: &str) -> AppResult<()> {
        self.hit_reading(limit, key, &[]).await.0
    }

    /// [`RateLimiter::hit`], also reading the Redis keys `also` in the same
    /// round trip. The reads are `Some(values)`, one per key, when Redis
    /// answered; `None` when it did not or is not configured (the caller
    /// then reads the source of truth).
    pub async fn hit_reading(
        &self,
        limit: Limit,
        key: &str,
        also: &[String],
    ) -> (AppResult<()>, Option<Vec<Option<String>>>) {
        if let Some((mut conn, timeout)) = self.cache.redis() {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            let window = now / WINDOW.as_secs();
            let redis_key = format!("{}rl:{}:{key}:{window}", self.cache.prefix(), limit.name());
            // One round trip; the window's first hit sets its expiry and
            // later ones leave it.
            let mut pipe = redis::pipe();
            pipe.incr(&redis_key, 1u32)
                .cmd("EXPIRE")
                .arg(&redis_key)
                .arg(WINDOW.as_secs() + 1)
                .arg("NX")
                .ignore();
            for k in also {
                pipe.get(k);
            }
            let call = pipe.query_async::<redis::Value>(&mut conn);
            match tokio::time::timeout(timeout, call).await {
                Ok(Ok(redis::Value::Array(values))) => {
                    let count = values
                        .first()
                        .and_then(|v| redis::from_redis_value_ref::<u32>(v).ok());
                    let read = (0..also.len())
                        .map(|i| {
                            values
                                .get(1 + i)
                                .and_then(|v| redis::from_redis_value_ref::<Option<String>>(v).ok())
                                .flatten()
                        })
                        .collect();
                    let read = Some(read);
                    if let Some(count) = count {
                        let outcome = if count > self.limit_of(limit) {
                            let retry_after_secs = (window + 1) * WINDOW.as_secs() - now;
                            Err(AppError::RateLimited {
                                retry_after_secs: retry_after_secs.max(1),
                            })
                        } else {
                            Ok(())
                        };
                        return (outcome, read);
                    }
                    tracing::warn!("rate limiter: unexpected Redis answer; limiting in-process");
                }
                _ => tracing::warn!("rate limiter: Redis did not answer; limiting in-process"),
            }
        }
        (self.hit_local(limit, key), None)
    }

    fn hit_local(&self, limit: Limit, key: &str) -> AppResult<()> {
        let limiter = match limit {
            Limit::LoginPerIp => &self.local.login_ip,
            Limit::LoginPerAccount => &self.local.login_account,
            Limit::Principal => &self.local.principal,
            Limit::VerifyPerIp => &self.local.verify_ip,
            Limit::ReportLinkPerIp => &self.local.report_link_ip,
        };
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
        limiter.check_key(&key.to_string()).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}
