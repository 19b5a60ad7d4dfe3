//! JSON Web Tokens (RFC 8725 practice): one pinned algorithm, required
//! `exp`/`nbf`/`iss`/`aud`/`sub`, a small leeway, and distinct `typ` and `aud`
//! for user access tokens and integration tokens so neither passes for the other.

use std::path::Path;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use entity::user::Role;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::{AuthSettings, Environment, Settings};

/// `typ` of user access tokens (RFC 9068).
pub const USER_TYP: &str = "at+jwt";
/// `aud` of user access tokens.
pub const USER_AUDIENCE: &str = "hearth-api";
/// `typ` of integration tokens.
pub const INTEGRATION_TYP: &str = "integration+jwt";
/// `aud` of integration tokens.
pub const INTEGRATION_AUDIENCE: &str = "hearth-integration";

/// Claims of a user access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserClaims {
    /// Issuer.
    pub iss: String,
    /// Audience: [`USER_AUDIENCE`].
    pub aud: String,
    /// User id.
    pub sub: String,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Not before.
    pub nbf: u64,
    /// Issued at.
    pub iat: u64,
    /// Token id.
    pub jti: String,
    /// Role when issued.
    pub role: Role,
    /// Brand of a client user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<Uuid>,
    /// The sign-in session (refresh-token family) the token belongs to;
    /// ending the session refuses the token at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// Claims of an integration token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntegrationClaims {
    /// Issuer.
    pub iss: String,
    /// Audience: [`INTEGRATION_AUDIENCE`].
    pub aud: String,
    /// Integration id.
    pub sub: String,
    /// Expiry.
    pub exp: u64,
    /// Not before.
    pub nbf: u64,
    /// Issued at.
    pub iat: u64,
    /// Token id; revocation is by this id.
    pub jti: String,
    /// The integration's brand.
    pub brand: Uuid,
    /// Granted scopes, space-separated.
    pub scope: String,
}

/// A token that passed every check.
#[derive(Debug, Clone)]
pub enum Verified {
    /// A user access token.
    User(UserClaims),
    /// An integration token (revocation is checked by the caller).
    Integration(IntegrationClaims),
}

/// Why a token was refused (never shown in detail to clients).
#[derive(Debug, thiserror::Error)]
#[error("invalid token: {0}")]
pub struct TokenError(pub String);

/// Signing and verification keys, with the settings that shape tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    algorithm: Algorithm,
    kid: String,
    issuer: String,
    leeway: u64,
    access_ttl: u64,
    user_validation: Validation,
    integration_validation: Validation,
    /// Tokens that passed every check, with their claims: a token is signed
    /// once and presented on every request, and checking the signature again
    /// (Ed25519 especially) would be most of a small request's work. Expiry
    /// is still checked on each use.
    verified: moka::sync::Cache<String, Verified, ahash::RandomState>,
}

/// Verified tokens kept at most, and for how long before a full check again.
const VERIFIED_CAPACITY: u64 = 20_000;
const VERIFIED_TTL: std::time::Duration = std::time::Duration::from_secs(300);

fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..6])
}

impl TokenKeys {
    /// Loads the keys named in the settings. In development with none
    /// configured, a secret is generated in `database.data_dir` (and reused);
    /// the returned note says so. In production a missing key is an error.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<(Self, Option<String>)> {
        let auth = &settings.auth;
        if let (Some(private), Some(public)) = (
            &auth.ed25519_private_key_file,
            &auth.ed25519_public_key_file,
        ) {
            let private_pem = std::fs::read(private).with_context(|| {
                format!(
                    "could not read auth.ed25519_private_key_file {}",
                    private.display()
                )
            })?;
            let public_pem = std::fs::read(public).with_context(|| {
                format!(
                    "could not read auth.ed25519_public_key_file {}",
                    public.display()
                )
            })?;
            let encoding = EncodingKey::from_ed_pem(&private_pem).context(
                "invalid settings: auth.ed25519_private_key_file is not an Ed25519 PKCS#8 PEM key",
            )?;
            let decoding = DecodingKey::from_ed_pem(&public_pem).context(
                "invalid settings: auth.ed25519_public_key_file is not an Ed25519 PEM public key",
            )?;
            let kid = format!("ed-{}", short_hash(&public_pem));
            return Ok((
                Self::build(auth, encoding, decoding, Algorithm::EdDSA, kid)?,
                None,
            ));
        }
        let (secret, note) = match &auth.jwt_secret {
            Some(secret) => (secret.clone(), None),
            None if settings.environment == Environment::Production => bail!(
                "invalid settings: auth.jwt_secret (or an Ed25519 key pair) is required in production"
            ),
            None => {
                let path = settings.database.data_dir.join("jwt-secret");
                let secret = load_or_generate_secret(&path)?;
                (
                    secret,
                    Some(format!(
                        "no auth.jwt_secret configured: using a generated signing secret kept in {}",
                        path.display()
                    )),
                )
            }
        };
        let bytes = secret.expose_secret().as_bytes();
        if bytes.len() < 32 {
            bail!("invalid settings: auth.jwt_secret must be at least 32 bytes");
        }
        let encoding =
            EncodingKey::from_secret(bytes).context("invalid settings: auth.jwt_secret")?;
        let decoding =
            DecodingKey::from_secret(bytes).context("invalid settings: auth.jwt_secret")?;
        let kid = format!("hs-{}", short_hash(&[b"kid:".as_slice(), bytes].concat()));
        Ok((
            Self::build(auth, encoding, decoding, Algorithm::HS256, kid)?,
            note,
        ))
    }

    fn build(
        auth: &AuthSettings,
        encoding: EncodingKey,
        decoding: DecodingKey,
        algorithm: Algorithm,
        kid: String,
    ) -> anyhow::Result<Self> {
        let validation = |audience: &str| {
            let mut v = Validation::new(algorithm);
            v.algorithms = vec![algorithm];
            v.set_issuer(&[&auth.issuer]);
            v.set_audience(&[audience]);
            v.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
            v.validate_exp = true;
            v.validate_nbf = true;
            v.validate_aud = true;
            v.leeway = auth.leeway_secs;
            v
        };
        Ok(Self {
            encoding,
            decoding,
            algorithm,
            kid,
            issuer: auth.issuer.clone(),
            leeway: auth.leeway_secs,
            access_ttl: auth.access_token_ttl_secs,
            user_validation: validation(USER_AUDIENCE),
            integration_validation: validation(INTEGRATION_AUDIENCE),
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CAPACITY)
                .time_to_live(VERIFIED_TTL)
                .build_with_hasher(ahash::RandomState::new()),
        })
    }

    fn header(&self, typ: &str) -> Header {
        let mut header = Header::new(self.algorithm);
        header.typ = Some(typ.into());
        header.kid = Some(self.kid.clone());
        header
    }

    /// Issues a user access token for the sign-in session `session`;
    /// returns it with its expiry.
    pub fn issue_user(
        &self,
        user_id: Uuid,
        role: Role,
        brand: Option<Uuid>,
        session: Uuid,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let now = Utc::now().timestamp() as u64;
        let exp = now + self.access_ttl;
        let claims = UserClaims {
            iss: self.issuer.clone(),
            aud: USER_AUDIENCE.into(),
            sub: user_id.to_string(),
            exp,
            nbf: now,
            iat: now,
            jti: Uuid::now_v7().to_string(),
            role,
            brand,
            sid: Some(session),
        };
        let token = encode(&self.header(USER_TYP), &claims, &self.encoding)?;
        Ok((
            token,
            DateTime::from_timestamp(exp as i64, 0).unwrap_or_else(Utc::now),
        ))
    }

    /// Issues an integration token with the given id (`jti`) and expiry.
    pub fn issue_integration(
        &self,
        integration_id: Uuid,
        brand: Uuid,
        scopes: &str,
        token_id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let now = Utc::now().timestamp() as u64;
        let claims = IntegrationClaims {
            iss: self.issuer.clone(),
            aud: INTEGRATION_AUDIENCE.into(),
            sub: integration_id.to_string(),
            exp: expires_at.timestamp() as u64,
            nbf: now,
            iat: now,
            jti: token_id.to_string(),
            brand,
            scope: scopes.to_string(),
        };
        Ok(encode(
            &self.header(INTEGRATION_TYP),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks a presented token: algorithm, key id, type, signature, claims.
    pub fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        if let Some(known) = self.verified.get(token) {
            let (exp, nbf) = match &known {
                Verified::User(c) => (c.exp, c.nbf),
                Verified::Integration(c) => (c.exp, c.nbf),
            };
            let now = jsonwebtoken::get_current_timestamp();
            if exp.saturating_add(self.leeway) > now && nbf <= now.saturating_add(self.leeway) {
                return Ok(known);
            }
            self.verified.invalidate(token);
        }
        let verified = self.verify_fully(token)?;
        self.verified.insert(token.to_string(), verified.clone());
        Ok(verified)
    }

    fn verify_fully(&self, token: &str) -> Result<Verified, TokenError> {
        let header = decode_header(token).map_err(|e| TokenError(e.to_string()))?;
        if header.alg != self.algorithm {
            return Err(TokenError("unexpected algorithm".into()));
        }
        if header.kid.as_deref().is_some_and(|kid| kid != self.kid) {
            return Err(TokenError("unknown key id".into()));
        }
        match header.typ.as_deref() {
            Some(USER_TYP) => decode::<UserClaims>(token, &self.decoding, &self.user_validation)
                .map(|d| Verified::User(d.claims))
                .map_err(|e| TokenError(e.to_string())),
            Some(INTEGRATION_TYP) => {
                decode::<IntegrationClaims>(token, &self.decoding, &self.integration_validation)
                    .map(|d| Verified::Integration(d.claims))
                    .map_err(|e| TokenError(e.to_string()))
            }
            _ => Err(TokenError("unexpected token type".into())),
        }
    }
}

fn load_or_generate_secret(path: &Path) -> anyhow::Result<SecretString> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_string();
        if existing.len() >= 32 {
            return Ok(SecretString::from(existing));
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    std::fs::write(path, &secret).with_context(|| format!("could not write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(SecretString::from(secret))
}

/// A random opaque token (256 bits, base64url) and its SHA-256 hex digest.
pub fn opaque_token() -> (String, String) {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_opaque(&token);
    (token, hash)
}

/// Upper-case letters and digits without the look-alikes 0, 1, I and O:
/// 32 symbols, 5 random bits each.
pub const READABLE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// `len` random characters of [`READABLE_ALPHABET`], for codes people
/// type (offer codes, certificate verification).
pub fn readable_code(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| READABLE_ALPHABET[rng.random_range(0..READABLE_ALPHABET.len())] as char)
        .collect()
}

/// SHA-256 hex digest of an opaque token, as stored.
pub fn hash_opaque(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
