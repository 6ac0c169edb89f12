//! Calls Capitole makes to other servers (webhooks' endpoints, browsers' push services):
//! one kind of HTTP client, which resolves host names to public addresses only (unless
//! local ones are allowed, for development) and follows no redirect, so that nobody can
//! point Capitole at the city's own network.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use capitole_domain::webhook::is_public;

/// An HTTP client for calls to addresses given by others.
pub(crate) fn client(
    user_agent: &str,
    timeout: Duration,
    allow_local: bool,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .dns_resolver(Arc::new(PublicResolver { allow_local }))
        .build()
        .map_err(|error| format!("cannot make an HTTP client: {error}"))
}

/// Why a call failed, in words its owner can act on.
pub(crate) fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "the server did not answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect to the server".to_owned()
    } else if error.is_redirect() {
        "the server redirected (redirects are not followed)".to_owned()
    } else {
        "the call to the server failed".to_owned()
    }
}

/// Resolves host names and keeps only public addresses (all of them when local ones are
/// allowed): a name that leads nowhere else fails to resolve.
struct PublicResolver {
    allow_local: bool,
}

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_local = self.allow_local;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| allow_local || is_public(address.ip()))
                .collect();
            if found.is_empty() {
                return Err("the host has no public address".into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addresses)
        })
    }
}
