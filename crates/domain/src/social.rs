//! Social networks the city posts to, and the addresses of those posts and accounts.

use url::Url;

use crate::editorial::{Checked, FieldErrors};
use crate::weblink::{self, LinkProblem};
use crate::{coded_enum, coded_serde};

coded_enum! {
    /// A social network.
    pub enum Network {
        /// Facebook.
        Facebook = "FACEBOOK",
        /// X, formerly Twitter.
        X = "X",
        /// Instagram.
        Instagram = "INSTAGRAM",
        /// Dailymotion.
        Dailymotion = "DAILYMOTION",
        /// Flickr.
        Flickr = "FLICKR",
        /// Scoop.it.
        Scoopit = "SCOOPIT",
        /// Foursquare.
        Foursquare = "FOURSQUARE",
        /// YouTube.
        Youtube = "YOUTUBE",
        /// LinkedIn.
        Linkedin = "LINKEDIN",
        /// Mastodon, on any instance.
        Mastodon = "MASTODON",
    }
}

coded_serde!(Network);

impl Network {
    /// The network's name as people write it.
    pub fn name(self) -> &'static str {
        match self {
            Network::Facebook => "Facebook",
            Network::X => "X",
            Network::Instagram => "Instagram",
            Network::Dailymotion => "Dailymotion",
            Network::Flickr => "Flickr",
            Network::Scoopit => "Scoop.it",
            Network::Foursquare => "Foursquare",
            Network::Youtube => "YouTube",
            Network::Linkedin => "LinkedIn",
            Network::Mastodon => "Mastodon",
        }
    }

    /// The domains of the network's addresses, subdomains included; empty for Mastodon,
    /// whose instances live on any domain.
    pub fn domains(self) -> &'static [&'static str] {
        match self {
            Network::Facebook => &["facebook.com", "fb.com", "fb.watch"],
            Network::X => &["x.com", "twitter.com"],
            Network::Instagram => &["instagram.com"],
            Network::Dailymotion => &["dailymotion.com", "dai.ly"],
            Network::Flickr => &["flickr.com", "flic.kr"],
            Network::Scoopit => &["scoop.it"],
            Network::Foursquare => &["foursquare.com", "4sq.com"],
            Network::Youtube => &["youtube.com", "youtu.be"],
            Network::Linkedin => &["linkedin.com"],
            Network::Mastodon => &[],
        }
    }

    /// Query parameters that only track shares on this network, besides the ones dropped
    /// everywhere (`utm_*`, `fbclid`, `igshid`, `si`, …).
    fn tracking(self) -> &'static [&'static str] {
        match self {
            Network::X => &["s", "t", "ref_url"],
            Network::Youtube => &["feature", "pp"],
            Network::Linkedin => &["trk", "trackingId", "lipi", "rcm"],
            Network::Facebook => &["rdid", "ref"],
            _ => &[],
        }
    }
}

/// Why the address of a post or account was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SocialError {
    /// No address was given.
    #[error("an address is needed")]
    UrlMissing,
    /// The address is longer than [`MAX_URL_BYTES`].
    #[error("a social network address has at most {max} characters")]
    UrlTooLong {
        /// The limit, in bytes.
        max: usize,
    },
    /// The address holds a line break, a tab or another control character.
    #[error(
        "a social network address cannot contain line breaks, tabs or other control characters"
    )]
    UrlControlCharacter,
    /// The address lacks its `https://` beginning.
    #[error("a social network address must be complete, starting with https://")]
    UrlNotAbsolute,
    /// The address cannot be read.
    #[error("this address cannot be read; check it for typing mistakes")]
    UrlMalformed,
    /// The address uses `http://`.
    #[error("a social network address must start with https://, not http://")]
    UrlNotHttps,
    /// The address uses a scheme other than https.
    #[error("a social network address must start with https://, not {scheme}:")]
    UrlSchemeNotSupported {
        /// The scheme given.
        scheme: String,
    },
    /// The address holds a user name or password.
    #[error("a social network address cannot contain a user name or password")]
    UrlCredentials,
    /// The address points to an IP address or a private machine.
    #[error("a social network address must point to a public web site, not to {host}")]
    UrlHostNotPublic {
        /// The host given.
        host: String,
    },
    /// The address is on another site than the network's.
    #[error(
        "{} addresses must be on {}, not on {host}",
        .network.name(),
        .network.domains().join(" or ")
    )]
    WrongNetwork {
        /// The network declared.
        network: Network,
        /// The host given.
        host: String,
    },
    /// A Mastodon address on a site known to be another network.
    #[error("{host} is {}, not a Mastodon instance", .other.name())]
    NotAMastodonInstance {
        /// The host given.
        host: String,
        /// The network that host belongs to.
        other: Network,
    },
    /// The address of the network's home page rather than of a post or account.
    #[error(
        "this is the {} home page; give the address of the post or account itself",
        .network.name()
    )]
    HomePage {
        /// The network declared.
        network: Network,
    },
    /// The address of a post given as an account's.
    #[error("this is a post on {}, not an account: give the address of the account's page", .network.name())]
    NotAnAccount {
        /// The network declared.
        network: Network,
    },
}

/// The longest address accepted, in bytes.
pub const MAX_URL_BYTES: usize = weblink::MAX_URL_BYTES;

impl From<LinkProblem> for SocialError {
    fn from(problem: LinkProblem) -> Self {
        match problem {
            LinkProblem::Empty => SocialError::UrlMissing,
            LinkProblem::TooLong => SocialError::UrlTooLong { max: MAX_URL_BYTES },
            LinkProblem::ControlCharacter => SocialError::UrlControlCharacter,
            LinkProblem::NotAbsolute => SocialError::UrlNotAbsolute,
            LinkProblem::Malformed => SocialError::UrlMalformed,
            LinkProblem::PlainHttp => SocialError::UrlNotHttps,
            LinkProblem::UnsupportedScheme(scheme) => SocialError::UrlSchemeNotSupported { scheme },
            LinkProblem::Credentials => SocialError::UrlCredentials,
            LinkProblem::HostNotPublic(host) => SocialError::UrlHostNotPublic { host },
        }
    }
}

/// Checks the address of a post (or account) on `network` and returns it normalised: host
/// lowercased, tracking parameters dropped, everything else kept as given. Mastodon
/// addresses may be on any public https host except the other networks' ones.
pub fn check_post_url(network: Network, url: &str) -> Result<String, SocialError> {
    let mut parsed = weblink::parse_https(url)?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let found = network_of_host(&host);
    match (network, found) {
        (Network::Mastodon, Some(other)) if other != Network::Mastodon => {
            return Err(SocialError::NotAMastodonInstance { host, other });
        }
        (Network::Mastodon, _) => {}
        (_, Some(found)) if found == network => {}
        _ => return Err(SocialError::WrongNetwork { network, host }),
    }
    if parsed.path() == "/" && parsed.query().is_none() {
        return Err(SocialError::HomePage { network });
    }
    weblink::drop_tracking(&mut parsed, network.tracking());
    Ok(weblink::within_length(parsed)?.into())
}

/// A post that announced an item, as an editor names it: its network and its address,
/// checked and normalised by [`check_post_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostLink {
    /// The network.
    pub network: Network,
    /// The post's address, without tracking parameters.
    pub url: String,
}

impl PostLink {
    /// Checks the address of a post on `network`; a failure names the `url` field.
    pub fn parse(network: Network, url: &str) -> Checked<PostLink> {
        let mut errors = FieldErrors::default();
        let url = check_post_url(network, url).unwrap_or_else(|e| {
            errors.add("url", e.to_string());
            url.to_owned()
        });
        Checked::new(PostLink { network, url }, errors)
    }
}

/// An organization's account on a social network, as its editors name it: its network and
/// the address of its page, checked by [`check_post_url`] and refused when it is a post's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountLink {
    /// The network.
    pub network: Network,
    /// The account page's address, without tracking parameters.
    pub url: String,
}

impl AccountLink {
    /// Accounts an organization lists at most.
    pub const MAX_PER_ORGANIZATION: usize = 20;

    /// Checks the address of an account on `network`; a failure names the `url` field.
    pub fn parse(network: Network, url: &str) -> Checked<AccountLink> {
        let mut errors = FieldErrors::default();
        let url = check_post_url(network, url)
            .and_then(|url| {
                if is_a_post(network, &url) {
                    Err(SocialError::NotAnAccount { network })
                } else {
                    Ok(url)
                }
            })
            .unwrap_or_else(|e| {
                errors.add("url", e.to_string());
                url.to_owned()
            });
        Checked::new(AccountLink { network, url }, errors)
    }
}

/// Whether a checked address on `network` is one of its posts, videos or photos rather than
/// an account's page, by the shapes the networks give their posts' addresses.
fn is_a_post(network: Network, url: &str) -> bool {
    let Ok(parsed) = Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or_default();
    let segments: Vec<&str> = parsed
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let has = |word: &str| segments.iter().any(|s| s.eq_ignore_ascii_case(word));
    match network {
        Network::Facebook => {
            has("posts")
                || has("videos")
                || has("photos")
                || has("story.php")
                || has("watch")
                || host == "fb.watch"
        }
        Network::X => has("status"),
        Network::Instagram => has("p") || has("reel") || has("reels") || has("tv"),
        Network::Dailymotion => has("video") || host == "dai.ly",
        Network::Flickr => {
            host == "flic.kr"
                || has("albums")
                || has("sets")
                || segments
                    .get(2)
                    .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
        }
        Network::Scoopit => has("p"),
        Network::Foursquare => has("v") || host == "4sq.com",
        Network::Youtube => has("watch") || has("shorts") || has("live") || host == "youtu.be",
        Network::Linkedin => has("posts") || has("feed"),
        Network::Mastodon => segments.len() >= 2 && segments[0].starts_with('@'),
    }
}

/// Guesses the network of an address, such as the link to an organization's account;
/// `https://` may be left out. Mastodon is recognised only on well-known instances and on
/// hosts named `mastodon.…` or `mstdn.…`.
pub fn network_of(url: &str) -> Option<Network> {
    let url = url.trim();
    let parsed = Url::parse(url)
        .ok()
        .filter(|u| u.host_str().is_some())
        .or_else(|| Url::parse(&format!("https://{url}")).ok())?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return None;
    }
    network_of_host(parsed.host_str()?.trim_end_matches('.'))
}

/// Large Mastodon instances, recognised by name.
const MASTODON_INSTANCES: &[&str] = &[
    "mastodon.social",
    "mastodon.online",
    "mstdn.social",
    "mas.to",
    "piaille.fr",
    "mamot.fr",
    "framapiaf.org",
];

fn network_of_host(host: &str) -> Option<Network> {
    let host = host.to_ascii_lowercase();
    let network = Network::ALL.iter().copied().find(|network| {
        network
            .domains()
            .iter()
            .any(|domain| weblink::on_domain(&host, domain))
    });
    if network.is_some() {
        return network;
    }
    let mastodon = MASTODON_INSTANCES.contains(&host.as_str())
        || host.starts_with("mastodon.")
        || host.starts_with("mstdn.");
    mastodon.then_some(Network::Mastodon)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn posts_on_each_network_are_accepted_on_its_hosts() {
        for (network, url, normalised) in [
            (
                Network::Facebook,
                "https://www.facebook.com/villedetoulouse/posts/123456789",
                "https://www.facebook.com/villedetoulouse/posts/123456789",
            ),
            (
                Network::Facebook,
                "https://M.Facebook.com/story.php?story_fbid=123&id=456&__tn__=R&mibextid=abc",
                "https://m.facebook.com/story.php?story_fbid=123&id=456",
            ),
            (
                Network::Facebook,
                "https://fb.watch/abcDEF123/",
                "https://fb.watch/abcDEF123/",
            ),
            (
                Network::Facebook,
                "https://fb.com/villedetoulouse",
                "https://fb.com/villedetoulouse",
            ),
            (
                Network::X,
                "https://x.com/Toulouse/status/1790000000000000000?s=20&t=AbCd",
                "https://x.com/Toulouse/status/1790000000000000000",
            ),
            (
                Network::X,
                "https://mobile.twitter.com/Toulouse/status/1790000000000000000?ref_src=twsrc",
                "https://mobile.twitter.com/Toulouse/status/1790000000000000000",
            ),
            (
                Network::Instagram,
                "https://www.instagram.com/p/C1a2B3c4D5e/?igshid=MzRlODBiNWFlZA==",
                "https://www.instagram.com/p/C1a2B3c4D5e/",
            ),
            (
                Network::Dailymotion,
                "https://www.dailymotion.com/video/x8abc12?utm_campaign=noel",
                "https://www.dailymotion.com/video/x8abc12",
            ),
            (
                Network::Dailymotion,
                "https://dai.ly/x8abc12",
                "https://dai.ly/x8abc12",
            ),
            (
                Network::Flickr,
                "https://www.flickr.com/photos/toulouse/53000000000/",
                "https://www.flickr.com/photos/toulouse/53000000000/",
            ),
            (
                Network::Flickr,
                "https://flic.kr/p/2oAbCdE",
                "https://flic.kr/p/2oAbCdE",
            ),
            (
                Network::Scoopit,
                "https://www.scoop.it/topic/toulouse/p/4150000000",
                "https://www.scoop.it/topic/toulouse/p/4150000000",
            ),
            (
                Network::Foursquare,
                "https://foursquare.com/v/capitole/4b0587a3f964a520d8d822e3",
                "https://foursquare.com/v/capitole/4b0587a3f964a520d8d822e3",
            ),
            (
                Network::Foursquare,
                "https://4sq.com/1a2b3c",
                "https://4sq.com/1a2b3c",
            ),
            (
                Network::Youtube,
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&si=xyz&t=42s",
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
            ),
            (
                Network::Youtube,
                "https://youtu.be/dQw4w9WgXcQ?si=xyz",
                "https://youtu.be/dQw4w9WgXcQ",
            ),
            (
                Network::Linkedin,
                "https://fr.linkedin.com/posts/ville-de-toulouse_activity-7100?trk=public_post&utm_source=share",
                "https://fr.linkedin.com/posts/ville-de-toulouse_activity-7100",
            ),
            (
                Network::Mastodon,
                "https://Piaille.fr/@toulouse/112233445566778899",
                "https://piaille.fr/@toulouse/112233445566778899",
            ),
            (
                Network::Mastodon,
                "https://social.toulouse.fr/@mairie/1122334455#replies",
                "https://social.toulouse.fr/@mairie/1122334455#replies",
            ),
        ] {
            assert_eq!(
                check_post_url(network, url).as_deref(),
                Ok(normalised),
                "{network} {url}"
            );
        }
    }

    #[test]
    fn a_post_on_another_site_than_its_network_is_refused() {
        let err = check_post_url(Network::Facebook, "https://x.com/Toulouse/status/1").unwrap_err();
        assert_eq!(
            err,
            SocialError::WrongNetwork {
                network: Network::Facebook,
                host: "x.com".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "Facebook addresses must be on facebook.com or fb.com or fb.watch, not on x.com"
        );
        let err = check_post_url(Network::X, "https://notx.com/Toulouse/status/1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "X addresses must be on x.com or twitter.com, not on notx.com"
        );
        let err =
            check_post_url(Network::Youtube, "https://youtube.com.evil.org/watch?v=1").unwrap_err();
        assert!(matches!(err, SocialError::WrongNetwork { .. }));
        let err = check_post_url(
            Network::Mastodon,
            "https://www.facebook.com/villedetoulouse/posts/1",
        )
        .unwrap_err();
        assert_eq!(
            err,
            SocialError::NotAMastodonInstance {
                host: "www.facebook.com".into(),
                other: Network::Facebook
            }
        );
        assert_eq!(
            err.to_string(),
            "www.facebook.com is Facebook, not a Mastodon instance"
        );
    }

    #[test]
    fn unsafe_or_incomplete_post_addresses_are_refused_with_the_reason() {
        let cases = [
            ("  ", SocialError::UrlMissing, "an address is needed"),
            (
                "facebook.com/villedetoulouse",
                SocialError::UrlNotAbsolute,
                "a social network address must be complete, starting with https://",
            ),
            (
                "http://www.facebook.com/villedetoulouse",
                SocialError::UrlNotHttps,
                "a social network address must start with https://, not http://",
            ),
            (
                "javascript:alert(1)",
                SocialError::UrlSchemeNotSupported {
                    scheme: "javascript".into(),
                },
                "a social network address must start with https://, not javascript:",
            ),
            (
                "https://me:pw@www.facebook.com/villedetoulouse",
                SocialError::UrlCredentials,
                "a social network address cannot contain a user name or password",
            ),
            (
                "https://www.facebook.com/ville\tdetoulouse",
                SocialError::UrlControlCharacter,
                "a social network address cannot contain line breaks, tabs or other control characters",
            ),
            (
                "https://face book.com/villedetoulouse",
                SocialError::UrlMalformed,
                "this address cannot be read; check it for typing mistakes",
            ),
            (
                "https://www.facebook.com/",
                SocialError::HomePage {
                    network: Network::Facebook,
                },
                "this is the Facebook home page; give the address of the post or account itself",
            ),
        ];
        for (url, error, message) in cases {
            let err = check_post_url(Network::Facebook, url).unwrap_err();
            assert_eq!(err, error, "{url}");
            assert_eq!(err.to_string(), message, "{url}");
        }
        let err = check_post_url(Network::Mastodon, "https://127.0.0.1/@a/1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a social network address must point to a public web site, not to 127.0.0.1"
        );
        let long = format!("https://x.com/{}", "a".repeat(MAX_URL_BYTES));
        let err = check_post_url(Network::X, &long).unwrap_err();
        assert_eq!(err, SocialError::UrlTooLong { max: 2048 });
        assert_eq!(
            err.to_string(),
            "a social network address has at most 2048 characters"
        );
    }

    #[test]
    fn the_network_of_an_address_is_guessed_from_its_host() {
        for (url, network) in [
            (
                "https://www.facebook.com/villedetoulouse",
                Network::Facebook,
            ),
            ("https://fb.watch/abc/", Network::Facebook),
            ("https://twitter.com/Toulouse", Network::X),
            ("https://X.com/Toulouse", Network::X),
            ("instagram.com/toulouse", Network::Instagram),
            ("www.dailymotion.com/villedetoulouse", Network::Dailymotion),
            ("https://dai.ly/x8abc12", Network::Dailymotion),
            ("https://www.flickr.com/photos/toulouse", Network::Flickr),
            ("https://flic.kr/s/aHBqjAzXyZ", Network::Flickr),
            ("https://www.scoop.it/topic/toulouse", Network::Scoopit),
            (
                "https://foursquare.com/v/capitole/4b05",
                Network::Foursquare,
            ),
            ("https://4sq.com/1a2b3c", Network::Foursquare),
            ("https://www.youtube.com/@VilledeToulouse", Network::Youtube),
            ("https://youtu.be/dQw4w9WgXcQ", Network::Youtube),
            (
                "https://fr.linkedin.com/company/ville-de-toulouse",
                Network::Linkedin,
            ),
            (
                "http://www.linkedin.com/company/ville-de-toulouse",
                Network::Linkedin,
            ),
            ("https://mastodon.social/@toulouse", Network::Mastodon),
            ("https://mastodon.toulouse.fr/@mairie", Network::Mastodon),
            ("https://piaille.fr/@toulouse", Network::Mastodon),
        ] {
            assert_eq!(network_of(url), Some(network), "{url}");
        }
        for url in [
            "https://www.toulouse.fr/actualites",
            "https://facebook.com.evil.org/",
            "https://notyoutube.com/watch",
            "mailto:contact@toulouse.fr",
            "",
            "not an address",
        ] {
            assert_eq!(network_of(url), None, "{url}");
        }
    }

    #[test]
    fn network_codes_round_trip_and_are_stored_as_codes() {
        for &network in Network::ALL {
            assert_eq!(Network::from_code(network.code()), Some(network));
            let json = serde_json::to_string(&network).unwrap();
            assert_eq!(json, format!("\"{}\"", network.code()));
            assert_eq!(serde_json::from_str::<Network>(&json).unwrap(), network);
        }
        assert_eq!(Network::from_code("TWITTER"), None);
        assert!(serde_json::from_str::<Network>("\"MYSPACE\"").is_err());
    }

    #[test]
    fn a_post_link_names_its_address_when_it_fails() {
        let post = PostLink::parse(
            Network::Facebook,
            "https://www.facebook.com/toulouse/posts/123?fbclid=abc",
        );
        assert_eq!(
            post.into_result().map(|p| p.url),
            Ok("https://www.facebook.com/toulouse/posts/123".to_owned())
        );
        let wrong = PostLink::parse(
            Network::Instagram,
            "https://www.facebook.com/toulouse/posts/1",
        );
        assert!(wrong.failed("url"));
    }

    #[test]
    fn account_pages_are_accepted_and_posts_refused_as_accounts() {
        for (network, url) in [
            (
                Network::Facebook,
                "https://www.facebook.com/villedetoulouse",
            ),
            (Network::X, "https://x.com/Toulouse"),
            (Network::Instagram, "https://www.instagram.com/toulouse/"),
            (
                Network::Dailymotion,
                "https://www.dailymotion.com/VilledeToulouse",
            ),
            (Network::Flickr, "https://www.flickr.com/photos/toulouse/"),
            (Network::Scoopit, "https://www.scoop.it/topic/toulouse"),
            (Network::Youtube, "https://www.youtube.com/@VilledeToulouse"),
            (
                Network::Linkedin,
                "https://www.linkedin.com/company/ville-de-toulouse",
            ),
            (Network::Mastodon, "https://piaille.fr/@toulouse"),
        ] {
            let checked = AccountLink::parse(network, url).into_result();
            assert_eq!(checked.map(|a| a.url), Ok(url.to_owned()), "{url}");
        }
        for (network, url) in [
            (
                Network::X,
                "https://x.com/Toulouse/status/1790000000000000000",
            ),
            (
                Network::Instagram,
                "https://www.instagram.com/p/C1a2B3c4D5e/",
            ),
            (
                Network::Youtube,
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            ),
            (
                Network::Scoopit,
                "https://www.scoop.it/topic/toulouse/p/4150000000",
            ),
            (
                Network::Flickr,
                "https://www.flickr.com/photos/toulouse/53000000000/",
            ),
            (
                Network::Mastodon,
                "https://piaille.fr/@toulouse/111222333444555666",
            ),
        ] {
            let errors = AccountLink::parse(network, url).into_result().unwrap_err();
            assert_eq!(
                errors.fields()[0].message,
                format!(
                    "this is a post on {}, not an account: give the address of the account's page",
                    network.name()
                ),
                "{url}"
            );
        }
        let other = AccountLink::parse(Network::X, "https://www.facebook.com/villedetoulouse");
        assert!(other.into_result().is_err());
    }
}
