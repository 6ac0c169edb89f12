//! Access tokens: short-lived JWTs (RFC 8725 practice). One algorithm is pinned (HS256);
//! `iss`, `aud`, `exp`, `nbf`, `iat`, `jti` and `sub` are required and checked; the header's
//! `typ` is `at+jwt` (RFC 9068) and the claims carry `token_use: "access"`, so no other kind of
//! token passes for one. Every key has a `kid`: the newest signs, all verify, so keys rotate
//! without signing anyone out.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who issues access tokens, and for whom.
pub const ISSUER: &str = "capitole";
/// The audience of access tokens.
pub const AUDIENCE: &str = "capitole-api";
/// How long an access token lives.
pub const ACCESS_LIFETIME: Duration = Duration::minutes(15);
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub(crate) const LEEWAY_SECONDS: u64 = 30;
const TOKEN_USE: &str = "access";
const TYP: &str = "at+jwt";
/// The shortest signing secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: Uuid,
    /// The session family, closed by logout or a password change.
    pub sid: Uuid,
    pub token_use: String,
}

/// A signing key with its id.
#[derive(Clone)]
pub struct SigningKey {
    /// The key id written in each token's header.
    pub kid: String,
    /// The raw secret.
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads `kid:secret`, the secret in base64 (standard or URL-safe), at least 32 bytes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (kid, secret) = text
            .split_once(':')
            .ok_or("a signing key is written `kid:base64-secret`")?;
        let kid = kid.trim();
        if kid.is_empty() || kid.len() > 64 || !kid.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("a key id is 1 to 64 visible ASCII characters".into());
        }
        let secret = secret.trim();
        let bytes = URL_SAFE_NO_PAD
            .decode(secret.trim_end_matches('='))
            .or_else(|_| STANDARD.decode(secret))
            .map_err(|_| format!("the secret of key `{kid}` is not base64"))?;
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the secret of key `{kid}` has {} bytes; at least {MIN_SECRET_BYTES} are needed",
                bytes.len()
            ));
        }
        Ok(Self {
            kid: kid.to_owned(),
            secret: bytes,
        })
    }
}

/// Why an access token was refused (the client only learns that it was).
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    #[error("the token's key id is missing or unknown")]
    UnknownKey,
    #[error("the token is not an access token")]
    WrongType,
    #[error("{0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

/// The keys that sign and verify access tokens.
pub struct Keys {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl Keys {
    /// The first key signs; every key verifies.
    pub fn new(keys: &[SigningKey]) -> Result<Self, String> {
        let first = keys.first().ok_or("at least one signing key is needed")?;
        let signing = EncodingKey::from_secret(&first.secret).map_err(|e| e.to_string())?;
        let mut verifying = HashMap::new();
        for key in keys {
            verifying.insert(
                key.kid.clone(),
                DecodingKey::from_secret(&key.secret).map_err(|e| e.to_string())?,
            );
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub", "jti"]);
        Ok(Self {
            signing_kid: first.kid.clone(),
            signing,
            verifying,
            validation,
        })
    }

    /// Signs an access token for a session; returns it with its expiry.
    pub(crate) fn issue(
        &self,
        user_id: Uuid,
        session: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), String> {
        let expires = now + ACCESS_LIFETIME;
        let claims = AccessClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id,
            exp: expires.timestamp(),
            nbf: now.timestamp(),
            iat: now.timestamp(),
            jti: capitole_domain::ids::new_id(),
            sid: session,
            token_use: TOKEN_USE.into(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_kid.clone());
        header.typ = Some(TYP.into());
        jsonwebtoken::encode(&header, &claims, &self.signing)
            .map(|token| (token, expires))
            .map_err(|e| e.to_string())
    }

    /// Verifies an access token: pinned algorithm, known key, typed, in date, ours.
    pub(crate) fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token)?;
        if header.typ.as_deref() != Some(TYP) {
            return Err(TokenError::WrongType);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying.get(kid))
            .ok_or(TokenError::UnknownKey)?;
        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)?;
        if data.claims.token_use != TOKEN_USE {
            return Err(TokenError::WrongType);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn key(kid: &str, byte: u8) -> SigningKey {
        SigningKey {
            kid: kid.into(),
            secret: vec![byte; 32],
        }
    }

    fn forge(header: serde_json::Value, claims: serde_json::Value, secret: &[u8]) -> String {
        use hmac_sign::sign;
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let c = URL_SAFE_NO_PAD.encode(claims.to_string());
        let message = format!("{h}.{c}");
        format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(sign(secret, &message))
        )
    }

    /// HMAC-SHA256 written out, so that tests can forge tokens jsonwebtoken would not make.
    mod hmac_sign {
        use sha2::{Digest, Sha256};
        pub fn sign(key: &[u8], message: &str) -> Vec<u8> {
            let mut k = [0u8; 64];
            k[..key.len()].copy_from_slice(key);
            let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
            let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
            let inner_hash = Sha256::new()
                .chain_update(&inner)
                .chain_update(message.as_bytes())
                .finalize();
            Sha256::new()
                .chain_update(&outer)
                .chain_update(inner_hash)
                .finalize()
                .to_vec()
        }
    }

    fn claims(now: i64) -> serde_json::Value {
        json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": Uuid::nil(), "exp": now + 600, "nbf": now,
            "iat": now, "jti": Uuid::nil(), "sid": Uuid::nil(), "token_use": "access"
        })
    }

    #[test]
    fn issued_tokens_verify_and_rotated_keys_keep_them_valid() {
        let old = Keys::new(&[key("k1", 1)]).unwrap();
        let (token, _) = old.issue(Uuid::nil(), Uuid::nil(), Utc::now()).unwrap();
        assert!(old.verify(&token).is_ok());
        let rotated = Keys::new(&[key("k2", 2), key("k1", 1)]).unwrap();
        assert!(rotated.verify(&token).is_ok());
        let dropped = Keys::new(&[key("k2", 2)]).unwrap();
        assert!(dropped.verify(&token).is_err());
    }

    #[test]
    fn hand_made_tokens_are_refused_unless_everything_holds() {
        let keys = Keys::new(&[key("k1", 1)]).unwrap();
        let now = Utc::now().timestamp();
        let header = json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k1" });
        let secret = [1u8; 32];
        // The control: a correct hand-made token passes.
        assert!(
            keys.verify(&forge(header.clone(), claims(now), &secret))
                .is_ok()
        );
        // Wrong secret.
        assert!(
            keys.verify(&forge(header.clone(), claims(now), &[9u8; 32]))
                .is_err()
        );
        // alg none, wrong algorithm, unknown kid, wrong typ.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD
                .encode(json!({ "alg": "none", "typ": "at+jwt", "kid": "k1" }).to_string()),
            URL_SAFE_NO_PAD.encode(claims(now).to_string())
        );
        assert!(keys.verify(&none).is_err());
        let hs512 = json!({ "alg": "HS512", "typ": "at+jwt", "kid": "k1" });
        assert!(keys.verify(&forge(hs512, claims(now), &secret)).is_err());
        let unknown = json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k9" });
        assert!(keys.verify(&forge(unknown, claims(now), &secret)).is_err());
        let plain = json!({ "alg": "HS256", "typ": "JWT", "kid": "k1" });
        assert!(keys.verify(&forge(plain, claims(now), &secret)).is_err());
        // Expired, not yet valid, wrong audience, wrong issuer, string exp, missing jti,
        // another token use.
        let mut expired = claims(now);
        expired["exp"] = json!(now - 120);
        let mut early = claims(now);
        early["nbf"] = json!(now + 600);
        let mut audience = claims(now);
        audience["aud"] = json!("someone-else");
        let mut issuer = claims(now);
        issuer["iss"] = json!("evil");
        let mut string_exp = claims(now);
        string_exp["exp"] = json!("99999999999");
        let mut no_jti = claims(now);
        no_jti.as_object_mut().unwrap().remove("jti");
        let mut refresh = claims(now);
        refresh["token_use"] = json!("refresh");
        for bad in [
            expired, early, audience, issuer, string_exp, no_jti, refresh,
        ] {
            let token = forge(header.clone(), bad.clone(), &secret);
            assert!(keys.verify(&token).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn signing_keys_are_read_from_configuration() {
        let secret = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let key = SigningKey::parse(&format!("2026-11:{secret}")).unwrap();
        assert_eq!(key.kid, "2026-11");
        assert!(SigningKey::parse("nokey").is_err());
        assert!(
            SigningKey::parse("k:c2hvcnQ")
                .unwrap_err()
                .contains("at least 32")
        );
        assert!(SigningKey::parse(&format!(":{secret}")).is_err());
    }
}
