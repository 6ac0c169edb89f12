//! Who may use the city's graph: roles of people, scopes of third-party apps and the rate
//! tiers that size their budgets.

use crate::coded_enum;

coded_enum! {
    /// What a signed-in person may do.
    pub enum Role {
        /// A resident with an account: reads the public graph and their own data.
        Citizen = "CITIZEN",
        /// Publishes for the organizations they edit for.
        Editor = "EDITOR",
        /// Runs the service: every organization, every account, every token.
        Administrator = "ADMINISTRATOR",
    }
}

coded_enum! {
    /// What a third-party app's token allows.
    pub enum Scope {
        /// Read the public graph.
        Read = "read",
        /// Register webhooks: endpoints Capitole calls when what the app follows changes.
        Webhooks = "webhooks",
    }
}

coded_enum! {
    /// The size of a caller's per-minute query budget.
    pub enum RateTier {
        /// Callers without credentials, counted by client address.
        Anonymous = "ANONYMOUS",
        /// Signed-in people.
        User = "USER",
        /// Third-party apps on the default plan.
        Standard = "STANDARD",
        /// Partner apps (transit, tourism, newsrooms) with a larger budget.
        Partner = "PARTNER",
    }
}

impl Scope {
    /// Reads a scope as written on the command line or in GraphQL (`read`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::from_code(raw.trim()).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|s| s.code()).collect();
            format!("unknown scope `{raw}`; known scopes: {}", known.join(", "))
        })
    }
}

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an email address is written like name@example.org, with at most {max} characters", max = Email::MAX_LEN)]
pub struct EmailError;

/// An email address, trimmed and lowercased so that one person has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The longest address accepted (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;

    /// Checks an address as a person typed it.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim().to_lowercase();
        if email.len() > Self::MAX_LEN || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(EmailError);
        }
        let (local, domain) = email.split_once('@').ok_or(EmailError)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(EmailError);
        }
        Ok(Self(email))
    }

    /// The address as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than [`PASSWORD_MIN_CHARS`].
    #[error("a password has at least {PASSWORD_MIN_CHARS} characters")]
    TooShort,
    /// Longer than [`PASSWORD_MAX_BYTES`] (hashing has a cost; nobody types more).
    #[error("a password has at most {PASSWORD_MAX_BYTES} bytes")]
    TooLong,
    /// One of the passwords attackers try first.
    #[error("this password is among the most common ones; choose another")]
    Common,
}

/// The shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// The longest password accepted, in bytes.
pub const PASSWORD_MAX_BYTES: usize = 256;

/// Passwords of 12 characters or more that lead the public leak lists, compared without
/// case. Shorter ones are refused by length already.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789012345",
    "1234567890123456",
    "qwertyuiopasdfghjkl",
    "qwertyuiop123",
    "qwerty123456",
    "qwertyuiop1234",
    "azertyuiop123",
    "azerty123456",
    "azertyuiopqsdfghjklm",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "motdepasse123",
    "motdepasse1234",
    "iloveyou1234",
    "abcdefghijkl",
    "abc123456789",
    "aaaaaaaaaaaa",
    "111111111111",
    "000000000000",
    "123123123123",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "welcome12345",
    "letmein12345",
    "administrator",
    "toulouse31000",
    "toulouse2024",
    "toulouse2025",
    "toulouse2026",
    "capitole1234",
    "changeme1234",
    "football1234",
    "soleil123456",
    "bonjour12345",
];

/// Checks a new password: length and the list of common passwords.
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    let repeated = lower.chars().all(|c| Some(c) == first);
    if repeated || COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

/// The recognisable text of a third-party app's token: `cap_`, 30 random base62 characters
/// and a 6-character base62 CRC32 checksum of them, 40 characters in all. The checksum lets
/// a malformed or mistyped token be refused without a database lookup and lets secret
/// scanners tell a real Capitole token from random text.
pub mod api_token {
    /// Every token starts with this.
    pub const PREFIX: &str = "cap_";
    /// Random characters after the prefix.
    pub const RANDOM_LEN: usize = 30;
    /// Checksum characters at the end.
    pub const CHECKSUM_LEN: usize = 6;
    /// The whole token's length.
    pub const LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;

    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// The base62 alphabet the random part is drawn from.
    pub fn alphabet() -> &'static [u8] {
        BASE62
    }

    fn checksum(random: &str) -> String {
        let mut n = crc32fast::hash(random.as_bytes());
        let mut out = [b'0'; CHECKSUM_LEN];
        for slot in out.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        out.iter().map(|&b| char::from(b)).collect()
    }

    /// Builds a token from its random part (which must be [`RANDOM_LEN`] base62 characters).
    pub fn compose(random: &str) -> String {
        format!("{PREFIX}{random}{}", checksum(random))
    }

    /// Whether `text` has the shape and checksum of a token Capitole made.
    pub fn is_well_formed(text: &str) -> bool {
        let Some(rest) = text.strip_prefix(PREFIX) else {
            return false;
        };
        if text.len() != LEN || !rest.bytes().all(|b| BASE62.contains(&b)) {
            return false;
        }
        let (random, sum) = rest.split_at(RANDOM_LEN);
        checksum(random) == sum
    }

    /// What may be shown of a token after it is issued: its prefix and last four characters.
    pub fn hint(text: &str) -> String {
        let tail = text.get(text.len().saturating_sub(4)..).unwrap_or_default();
        format!("{PREFIX}…{tail}")
    }
}

/// The key that counts a client address in budgets and attempt counters: an IPv4 address
/// on its own, an IPv6 address by its /64 (the block one subscriber usually holds whole, so
/// that rotating through it gains nothing), `unknown` when the address is not known.
pub fn address_key(ip: Option<std::net::IpAddr>) -> String {
    use std::net::IpAddr;
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(ip)) => ip.to_string(),
        Some(IpAddr::V6(ip)) => {
            let block = std::net::Ipv6Addr::from(u128::from(ip) & (u128::MAX << 64));
            format!("{block}/64")
        }
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[test]
    fn ipv6_clients_share_their_block() {
        use super::address_key;
        assert_eq!(
            address_key(Some("2001:db8:1:2:3:4:5:6".parse().unwrap())),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_key(Some("::ffff:203.0.113.9".parse().unwrap())),
            "203.0.113.9"
        );
        assert_eq!(address_key(None), "unknown");
    }

    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ana.Garcia@Toulouse.FR ").unwrap().as_str(),
            "ana.garcia@toulouse.fr"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@toulouse.fr",
            "ana@toulouse",
            "a b@x.fr",
            "a@x..fr",
            "a@b@c.fr",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@x.fr", "a".repeat(65))).is_err());
    }

    #[test]
    fn new_passwords_are_long_and_not_common() {
        assert_eq!(check_new_password("short"), Err(PasswordError::TooShort));
        assert_eq!(
            check_new_password("éééééééééééé"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_new_password("Password1234"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_new_password(&"x".repeat(300)),
            Err(PasswordError::TooLong)
        );
        assert!(check_new_password("violet-garonne-brique").is_ok());
        // Twelve characters, counted as characters rather than bytes.
        assert!(check_new_password("ÉtéàToulouse").is_ok());
    }

    #[test]
    fn app_tokens_carry_a_checksum() {
        let random = "a".repeat(api_token::RANDOM_LEN - 1) + "Z";
        let token = api_token::compose(&random);
        assert_eq!(token.len(), api_token::LEN);
        assert!(token.starts_with("cap_"));
        assert!(api_token::is_well_formed(&token));
        // One changed character breaks the checksum.
        let mut typo = token.clone().into_bytes();
        typo[10] = if typo[10] == b'b' { b'c' } else { b'b' };
        assert!(!api_token::is_well_formed(
            &String::from_utf8(typo).unwrap()
        ));
        assert!(!api_token::is_well_formed("cap_short"));
        assert!(!api_token::is_well_formed(&token.replace("cap_", "ghp_")));
        assert!(!api_token::is_well_formed(&format!("{token}x")));
        assert_eq!(api_token::hint(&token), format!("cap_…{}", &token[36..]));
    }

    #[test]
    fn scopes_are_read_by_name() {
        assert_eq!(Scope::parse("read"), Ok(Scope::Read));
        assert!(Scope::parse("write").unwrap_err().contains("read"));
    }
}
