//! Rules shared by every web address the city publishes. Any address in the graph is an
//! absolute http or https address ([`parse_web_address`]); an address a person gives for
//! publication (a cover, a website, media, social posts) is moreover https only, without
//! credentials, on a public host, and loses its tracking parameters.

use url::{Host, Url};

/// The longest address accepted, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// Why an address was refused, before any rule of its own kind applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    /// Nothing but white space.
    #[error("an address cannot be empty")]
    Empty,
    /// Longer than [`MAX_URL_BYTES`].
    #[error("an address has at most {MAX_URL_BYTES} bytes")]
    TooLong,
    /// A control character (line break, tab, …) inside the address.
    #[error("an address cannot contain line breaks, tabs or other control characters")]
    ControlCharacter,
    /// No scheme: `www.example.org/photo.jpg`.
    #[error("an address must be complete, starting with https://")]
    NotAbsolute,
    /// Not readable as an address.
    #[error("this address cannot be read; check it for typing mistakes")]
    Malformed,
    /// `http://`, which browsers block on a page served over https.
    #[error("an address must start with https://, not http://")]
    PlainHttp,
    /// Another scheme than http or https (`ftp:`, `data:`, `javascript:`).
    #[error("{0}: is not a web address; give an https:// address")]
    UnsupportedScheme(String),
    /// A user name or password in the address.
    #[error("an address cannot contain a user name or password")]
    Credentials,
    /// An IP address, `localhost` or a name without a dot.
    #[error("an address must point to a public web site, not to {0}")]
    HostNotPublic(String),
}

/// Checks that `raw` is an absolute http or https address with a host, at most
/// [`MAX_URL_BYTES`] long and without control characters: the rule of every address in the
/// graph. Returns it parsed.
pub fn parse_web_address(raw: &str) -> Result<Url, LinkProblem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(LinkProblem::Empty);
    }
    if raw.len() > MAX_URL_BYTES {
        return Err(LinkProblem::TooLong);
    }
    if raw.chars().any(char::is_control) {
        return Err(LinkProblem::ControlCharacter);
    }
    let url = match Url::parse(raw) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => return Err(LinkProblem::NotAbsolute),
        Err(_) => return Err(LinkProblem::Malformed),
    };
    match url.scheme() {
        "https" | "http" => {}
        other => return Err(LinkProblem::UnsupportedScheme(other.to_owned())),
    }
    if url.host().is_none() {
        return Err(LinkProblem::Malformed);
    }
    Ok(url)
}

/// Checks an address given by a person for publication and returns it parsed, with its host
/// lowercased (and in its ASCII form) and without a trailing dot.
pub(crate) fn parse_https(raw: &str) -> Result<Url, LinkProblem> {
    let mut url = parse_web_address(raw)?;
    if url.scheme() == "http" {
        return Err(LinkProblem::PlainHttp);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkProblem::Credentials);
    }
    let domain = match url.host() {
        Some(Host::Domain(domain)) => domain.trim_end_matches('.').to_owned(),
        Some(Host::Ipv4(ip)) => return Err(LinkProblem::HostNotPublic(ip.to_string())),
        Some(Host::Ipv6(ip)) => return Err(LinkProblem::HostNotPublic(ip.to_string())),
        None => return Err(LinkProblem::Malformed),
    };
    if !domain.contains('.') || domain.ends_with(".localhost") {
        return Err(LinkProblem::HostNotPublic(domain));
    }
    if url.host_str() != Some(domain.as_str()) && url.set_host(Some(&domain)).is_err() {
        return Err(LinkProblem::Malformed);
    }
    Ok(url)
}

/// Checks the length of an address once normalised (percent-encoding may lengthen it).
pub(crate) fn within_length(url: Url) -> Result<Url, LinkProblem> {
    if url.as_str().len() > MAX_URL_BYTES {
        Err(LinkProblem::TooLong)
    } else {
        Ok(url)
    }
}

/// The site an address belongs to: its host without a leading `www.` or `m.`.
pub(crate) fn site(url: &Url) -> &str {
    let host = url.host_str().unwrap_or_default();
    host.strip_prefix("www.")
        .or_else(|| host.strip_prefix("m."))
        .unwrap_or(host)
}

/// Whether `host` is `domain` or one of its subdomains.
pub(crate) fn on_domain(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Query parameters that only say where a click came from, on any site.
const TRACKING: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "igsh",
    "si", "mc_cid", "mc_eid", "_ga", "_gl", "mkt_tok", "mibextid", "ref_src",
];

/// Whether a query parameter only says where a click came from.
pub(crate) fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_")
        || lower.starts_with("__cft__")
        || lower == "__tn__"
        || TRACKING.contains(&lower.as_str())
}

/// Removes tracking parameters, and `extra` ones (compared ignoring case), keeping the
/// others as written and in their order; drops the `?` when nothing is left.
pub(crate) fn drop_tracking(url: &mut Url, extra: &[&str]) {
    let Some(query) = url.query() else {
        return;
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|part| {
            let name = part.split('=').next().unwrap_or_default();
            !part.is_empty()
                && !is_tracking(name)
                && !extra.iter().any(|e| e.eq_ignore_ascii_case(name))
        })
        .collect();
    let kept = kept.join("&");
    url.set_query(if kept.is_empty() { None } else { Some(&kept) });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hosts_are_lowercased_and_lose_a_trailing_dot() {
        let url = parse_https("  https://WWW.Example.ORG./Photo.JPG ").unwrap();
        assert_eq!(url.as_str(), "https://www.example.org/Photo.JPG");
        assert_eq!(site(&url), "example.org");
    }

    #[test]
    fn unsafe_or_private_addresses_are_refused() {
        assert_eq!(parse_https(" "), Err(LinkProblem::Empty));
        assert_eq!(
            parse_https("https://example.org/a\nb"),
            Err(LinkProblem::ControlCharacter)
        );
        assert_eq!(
            parse_https("example.org/a.jpg"),
            Err(LinkProblem::NotAbsolute)
        );
        assert_eq!(
            parse_https("http://example.org/a.jpg"),
            Err(LinkProblem::PlainHttp)
        );
        assert_eq!(
            parse_https("javascript:alert(1)"),
            Err(LinkProblem::UnsupportedScheme("javascript".into()))
        );
        assert_eq!(
            parse_https("https://me:secret@example.org/a.jpg"),
            Err(LinkProblem::Credentials)
        );
        assert_eq!(
            parse_https("https://192.168.1.10/a.jpg"),
            Err(LinkProblem::HostNotPublic("192.168.1.10".into()))
        );
        assert_eq!(
            parse_https("https://localhost/a.jpg"),
            Err(LinkProblem::HostNotPublic("localhost".into()))
        );
        assert_eq!(
            parse_https("https://exa mple.org/"),
            Err(LinkProblem::Malformed)
        );
        let long = format!("https://example.org/{}", "a".repeat(MAX_URL_BYTES));
        assert_eq!(parse_https(&long), Err(LinkProblem::TooLong));
    }

    #[test]
    fn every_address_in_the_graph_is_absolute_http_or_https() {
        assert!(parse_web_address("http://example.org/agenda").is_ok());
        assert!(parse_web_address("https://www.toulouse.fr").is_ok());
        assert_eq!(
            parse_web_address("www.toulouse.fr"),
            Err(LinkProblem::NotAbsolute)
        );
        assert_eq!(
            parse_web_address("mailto:agenda@toulouse.fr"),
            Err(LinkProblem::UnsupportedScheme("mailto".into()))
        );
        assert_eq!(parse_web_address("https://"), Err(LinkProblem::Malformed));
        assert_eq!(parse_web_address(""), Err(LinkProblem::Empty));
        assert_eq!(
            parse_https("http://example.org/"),
            Err(LinkProblem::PlainHttp)
        );
    }

    #[test]
    fn tracking_parameters_are_dropped_and_others_kept_in_order() {
        let mut url =
            parse_https("https://example.org/p?b=2&utm_source=x&UTM_Medium=y&fbclid=z&a=1&si=abc")
                .unwrap();
        drop_tracking(&mut url, &[]);
        assert_eq!(url.as_str(), "https://example.org/p?b=2&a=1");
        let mut url = parse_https("https://cdn.example.org/i.jpg?w=640&v%20=a%2Bb&flag").unwrap();
        drop_tracking(&mut url, &[]);
        assert_eq!(
            url.as_str(),
            "https://cdn.example.org/i.jpg?w=640&v%20=a%2Bb&flag"
        );
        let mut url = parse_https("https://example.org/p?utm_source=x&t=1").unwrap();
        drop_tracking(&mut url, &["t"]);
        assert_eq!(url.as_str(), "https://example.org/p");
    }

    #[test]
    fn subdomains_belong_to_their_domain_but_lookalikes_do_not() {
        assert!(on_domain("facebook.com", "facebook.com"));
        assert!(on_domain("m.facebook.com", "facebook.com"));
        assert!(!on_domain("notfacebook.com", "facebook.com"));
        assert!(!on_domain("facebook.com.evil.org", "facebook.com"));
    }
}
