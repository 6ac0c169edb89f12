//! The secrets Capitole hands out and how it keeps them: passwords as Argon2id hashes
//! (OWASP's parameters: 19 MiB, 2 iterations, 1 lane), refresh and app tokens as SHA-256
//! digests (they are long random values, so a fast digest is enough and lets them be looked
//! up by hash).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::access::api_token;
use rand::Rng;
use sha2::{Digest, Sha256};

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most this many passwords are hashed or checked at once: each takes 19 MiB and a
/// core for a few milliseconds, so a burst of sign-ins waits its turn instead of taking
/// the memory of the machine.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        tokio::sync::Semaphore::new(cores.clamp(1, 8))
    })
}

/// Hashes a password into a PHC string, off the async threads.
pub(crate) async fn hash_password(password: String) -> Result<String, String> {
    let _slot = hashing_slots().acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Checks a password against a stored PHC string, off the async threads. A malformed
/// stored hash never matches.
pub(crate) async fn verify_password(password: String, stored: String) -> bool {
    let Ok(_slot) = hashing_slots().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|hash| argon2().verify_password(password.as_bytes(), &hash).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// SHA-256 of a token, hex.
pub(crate) fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new opaque refresh token: 32 random bytes, URL-safe.
pub(crate) fn new_refresh_token() -> String {
    new_opaque_token("rt_")
}

/// A new opaque token: `prefix` and 32 random bytes, URL-safe (a refresh token, a link's
/// token in an account mail).
pub(crate) fn new_opaque_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A new third-party app token (`cap_…` with its checksum).
pub fn new_api_token() -> String {
    let alphabet = api_token::alphabet();
    let mut rng = rand::rng();
    let random: String = (0..api_token::RANDOM_LEN)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect();
    api_token::compose(&random)
}

/// A new random signing secret, base64url.
pub fn new_signing_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("garonne-brique-rose".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("garonne-brique-rose".into(), hash.clone()).await);
        assert!(!verify_password("garonne-brique-rosé".into(), hash).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn issued_tokens_are_well_formed_and_distinct() {
        let a = new_api_token();
        let b = new_api_token();
        assert!(api_token::is_well_formed(&a));
        assert_ne!(a, b);
        assert_eq!(digest("abc").len(), 64);
        assert_ne!(new_refresh_token(), new_refresh_token());
    }
}
