//! The client's address: the socket peer, or, when the peer is one of our own trusted proxies,
//! the right-most address of `X-Forwarded-For` that is not itself a trusted proxy. Anyone
//! can write `X-Forwarded-For`, so it is read only from proxies we run.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// An address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    address: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// Whether `ip` is inside this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNetwork {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let invalid = || format!("`{text}` is neither an IP address nor a CIDR block");
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address = IpAddr::from_str(address)
            .map_err(|_| invalid())?
            .to_canonical();
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().map_err(|_| invalid())?,
            None => max,
        };
        if prefix > max {
            return Err(invalid());
        }
        Ok(Self { address, prefix })
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNetwork>);

impl TrustedProxies {
    /// Trusts these blocks.
    pub fn new(networks: Vec<IpNetwork>) -> Self {
        Self(networks)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address: the peer's, unless the peer is trusted and says for whom it
    /// forwards. `None` when the socket address is unknown.
    pub fn client_ip(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?.ip().to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        // Proxies append; the right-most entries are the nearest hops.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = IpAddr::from_str(hop.trim()) else {
                // Garbage from a client: stop at the last hop we could read.
                break;
            };
            client = ip.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }
}

/// The socket's peer address, when the server recorded it (in-process callers have none).
pub(crate) struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| *addr),
        ))
    }
}

/// The budget key of an address (`ip:` and its address key: IPv6 by /64).
pub(crate) fn address_key(ip: Option<IpAddr>) -> String {
    format!("ip:{}", capitole_domain::access::address_key(ip))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|p| p.parse().unwrap()).collect())
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let trusted = proxies(&["10.0.0.0/8", "192.0.2.1"]);
        let headers = forwarded("198.51.100.7, 203.0.113.9, 10.1.2.3");
        let from = |peer: &str| trusted.client_ip(Some(peer.parse().unwrap()), &headers);
        assert_eq!(from("10.0.0.5:4000"), Some("203.0.113.9".parse().unwrap()));
        assert_eq!(from("192.0.2.1:4000"), Some("203.0.113.9".parse().unwrap()));
        assert_eq!(
            from("198.51.100.20:4000"),
            Some("198.51.100.20".parse().unwrap())
        );
        assert_eq!(trusted.client_ip(None, &headers), None);
        let untrusted = TrustedProxies::default();
        assert_eq!(
            untrusted.client_ip(Some("10.0.0.5:4000".parse().unwrap()), &headers),
            Some("10.0.0.5".parse().unwrap())
        );
    }

    #[test]
    fn networks_parse_and_match() {
        let block: IpNetwork = "2001:db8::/32".parse().unwrap();
        assert!(block.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!block.contains("2001:db9::1".parse().unwrap()));
        let v4: IpNetwork = "0.0.0.0/0".parse().unwrap();
        assert!(v4.contains("::ffff:203.0.113.9".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNetwork>().is_err());
        assert!("proxy".parse::<IpNetwork>().is_err());
    }

    #[test]
    fn ipv6_clients_share_their_block() {
        assert_eq!(
            address_key(Some("2001:db8:1:2:3:4:5:6".parse().unwrap())),
            "ip:2001:db8:1:2::/64"
        );
        assert_eq!(
            address_key(Some("203.0.113.9".parse().unwrap())),
            "ip:203.0.113.9"
        );
        assert_eq!(address_key(None), "ip:unknown");
    }
}
