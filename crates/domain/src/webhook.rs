//! Webhooks: third-party apps' endpoints that Capitole calls when the items they follow
//! change. An endpoint is an `https` address whose host is on the public internet (a
//! development setting lets `http` and local addresses through); a delivery that fails is
//! tried again later, waiting twice as long each time, until a day has passed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use crate::change::{ChangeKind, ItemKind};
use crate::coded_enum;
use crate::weblink::{LinkProblem, parse_web_address};

coded_enum! {
    /// What a webhook follows.
    pub enum WebhookEvent {
        /// A news article is published.
        NewsPublished = "NEWS_PUBLISHED",
        /// An event is made, edited, cancelled, rescheduled, published, unpublished or
        /// deleted.
        EventChanged = "EVENT_CHANGED",
        /// A place is made, edited (hours, closure, description), hidden or deleted.
        PlaceChanged = "PLACE_CHANGED",
    }
}

impl WebhookEvent {
    /// The event an entry of the change log is, if webhooks follow it.
    pub fn of(kind: ItemKind, change: ChangeKind) -> Option<Self> {
        match kind {
            ItemKind::Article => (change == ChangeKind::Published).then_some(Self::NewsPublished),
            ItemKind::Event => Some(Self::EventChanged),
            ItemKind::Place => Some(Self::PlaceChanged),
            ItemKind::Tip | ItemKind::Organization => None,
        }
    }
}

coded_enum! {
    /// Whether a webhook is called.
    pub enum WebhookStatus {
        /// Deliveries are made.
        Active = "ACTIVE",
        /// It failed too many times in a row: nothing is delivered until it is enabled again.
        Disabled = "DISABLED",
    }
}

coded_enum! {
    /// Where one delivery stands.
    pub enum DeliveryStatus {
        /// Not delivered yet: waiting for its first or next attempt.
        Pending = "PENDING",
        /// The endpoint answered with a 2xx status.
        Delivered = "DELIVERED",
        /// Every attempt failed, for as long as deliveries are tried.
        Failed = "FAILED",
    }
}

/// Why an endpoint's address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a web address at all (the rule of every address in the graph).
    #[error("{0}")]
    Address(LinkProblem),
    /// Not `https` (or `http` where local endpoints are allowed).
    #[error("the endpoint must use https")]
    NotHttps,
    /// It carries a user name or password.
    #[error("the endpoint's address must not carry a user name or password")]
    Credentials,
    /// Its host is a loopback, private, link-local or otherwise non-public address.
    #[error("the endpoint's host is not a public internet address")]
    NotPublic,
}

/// Checks an endpoint's address: a web address ([`parse_web_address`]), `https` (or `http`
/// when `allow_local`), without credentials, and, when its host is an IP address, a public
/// one unless `allow_local`. A host name is checked where it is resolved, on every call.
pub fn endpoint(raw: &str, allow_local: bool) -> Result<Url, EndpointError> {
    let url = parse_web_address(raw).map_err(EndpointError::Address)?;
    if url.scheme() != "https" && !allow_local {
        return Err(EndpointError::NotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::Credentials);
    }
    let public = match url.host() {
        None => return Err(EndpointError::Address(LinkProblem::Malformed)),
        Some(url::Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name != "localhost" && !name.ends_with(".localhost")
        }
    };
    if !public && !allow_local {
        return Err(EndpointError::NotPublic);
    }
    Ok(url)
}

/// Whether `ip` is an address of the public internet: not loopback, private (RFC 1918,
/// unique local), shared (RFC 6598), link-local, unspecified, multicast, broadcast,
/// documentation or benchmarking, nor an IPv4 address in one of those ranges written as
/// IPv6.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = ip.segments()[0];
            !(ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                // Unique local (fc00::/7) and link-local (fe80::/10).
                || first & 0xfe00 == 0xfc00
                || first & 0xffc0 == 0xfe80
                // Documentation (2001:db8::/32), NAT64 (64:ff9b::/96, which reaches IPv4).
                || (first == 0x2001 && ip.segments()[1] == 0x0db8)
                || (first == 0x0064 && ip.segments()[1] == 0xff9b)
                || ip == Ipv6Addr::UNSPECIFIED)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (100.64.0.0/10), IETF protocol assignments (192.0.0.0/24),
        // benchmarking (198.18.0.0/15) and reserved (240.0.0.0/4).
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

/// When deliveries are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; each next wait is twice the one before.
    pub first_wait: Duration,
    /// The longest wait between two attempts.
    pub longest_wait: Duration,
    /// How long after it was queued a delivery is still tried.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_wait: Duration::from_secs(30),
            longest_wait: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// When a delivery queued at `queued_at` is tried next after its `attempts`-th attempt
    /// failed at `now`; `None` once that would be past [`RetryPolicy::give_up_after`].
    pub fn next_attempt(
        &self,
        queued_at: DateTime<Utc>,
        attempts: u32,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let doublings = attempts.saturating_sub(1).min(30);
        let wait = self
            .first_wait
            .saturating_mul(1 << doublings)
            .min(self.longest_wait);
        let next = now + chrono::Duration::from_std(wait).ok()?;
        let last = queued_at + chrono::Duration::from_std(self.give_up_after).ok()?;
        (next <= last).then_some(next)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_and_public_unless_local_ones_are_allowed() {
        assert!(endpoint("https://hooks.example.org/capitole", false).is_ok());
        assert_eq!(
            endpoint("http://hooks.example.org/", false),
            Err(EndpointError::NotHttps)
        );
        assert_eq!(
            endpoint("ftp://hooks.example.org/", true),
            Err(EndpointError::Address(LinkProblem::UnsupportedScheme(
                "ftp".to_owned()
            )))
        );
        assert_eq!(
            endpoint("https://user:pw@hooks.example.org/", false),
            Err(EndpointError::Credentials)
        );
        for local in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost:8443/",
            "https://api.localhost/",
        ] {
            assert_eq!(
                endpoint(local, false),
                Err(EndpointError::NotPublic),
                "{local}"
            );
            assert!(endpoint(local, true).is_ok(), "{local}");
        }
        assert!(endpoint("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(endpoint("https://93.184.215.14/", false).is_ok());
        assert!(endpoint("https://[2a00:1450:4007:80f::200e]/", false).is_ok());
        assert_eq!(
            endpoint("not a url", false),
            Err(EndpointError::Address(LinkProblem::NotAbsolute))
        );
    }

    #[test]
    fn waits_double_up_to_the_longest_and_stop_after_a_day() {
        let policy = RetryPolicy::default();
        let queued = DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let wait = |attempts: u32, now: DateTime<Utc>| {
            policy
                .next_attempt(queued, attempts, now)
                .map(|next| (next - now).num_seconds())
        };
        assert_eq!(wait(1, queued), Some(30));
        assert_eq!(wait(2, queued), Some(60));
        assert_eq!(wait(3, queued), Some(120));
        assert_eq!(wait(12, queued), Some(3600));
        assert_eq!(wait(40, queued), Some(3600));
        let late = queued + chrono::Duration::hours(23) + chrono::Duration::minutes(30);
        assert_eq!(wait(20, late), None);
        assert_eq!(wait(1, late), Some(30));
    }

    #[test]
    fn articles_are_followed_when_they_are_published_and_tips_not_at_all() {
        assert_eq!(
            WebhookEvent::of(ItemKind::Article, ChangeKind::Published),
            Some(WebhookEvent::NewsPublished)
        );
        assert_eq!(
            WebhookEvent::of(ItemKind::Article, ChangeKind::Updated),
            None
        );
        assert_eq!(
            WebhookEvent::of(ItemKind::Event, ChangeKind::Cancelled),
            Some(WebhookEvent::EventChanged)
        );
        assert_eq!(WebhookEvent::of(ItemKind::Tip, ChangeKind::Hidden), None);
    }
}
