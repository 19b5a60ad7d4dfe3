//! Argon2id password hashing, off the async threads.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use rand::RngCore;

use crate::error::{AppError, AppResult};

/// Shortest password accepted.
pub const MIN_LEN: usize = 12;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_LEN: usize = 256;

/// A valid Argon2id hash of a random password: verifying against it costs as
/// much as a real check, so an unknown e-mail takes as long as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1MJBtQJQ7vQOoEqv0rOqT1W2qcbOm3RxfxvxhIqfjLQ";

/// Checks the password policy; `field` names the argument in the error.
pub fn check_policy(field: &str, password: &str) -> AppResult<()> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(AppError::bad_input(
            field,
            format!("the password must be at least {MIN_LEN} characters"),
        ));
    }
    if len > MAX_LEN {
        return Err(AppError::bad_input(
            field,
            format!("the password must be at most {MAX_LEN} characters"),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            "the password must not contain control characters",
        ));
    }
    Ok(())
}

/// Hashes a password with Argon2id (default parameters: 19 MiB, 2 passes).
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hash: {e}"))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(AppError::Internal)
}

/// Verifies a password; `None` for the hash verifies against a dummy so the
/// time taken does not tell whether the account exists.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let exists = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    ok && exists
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(h)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
