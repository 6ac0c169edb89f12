//! Photos, videos and albums attached to news and events by address. Addresses from
//! Dailymotion, YouTube, Flickr and Instagram are recognised and reduced to one canonical
//! form with, where the provider offers one, an embeddable player and a thumbnail; any other
//! https address is kept as a plain web resource.

use serde::{Deserialize, Serialize};
use url::Url;

pub use crate::article::MediaKind;
use crate::weblink::{self, LinkProblem};
use crate::{coded_enum, coded_serde};

coded_enum! {
    /// Who hosts a media item.
    pub enum Provider {
        /// Dailymotion videos.
        Dailymotion = "DAILYMOTION",
        /// YouTube videos.
        Youtube = "YOUTUBE",
        /// Flickr photos and albums.
        Flickr = "FLICKR",
        /// Instagram posts and reels.
        Instagram = "INSTAGRAM",
        /// Any other https image or page.
        Web = "WEB",
    }
}

coded_serde!(Provider);
coded_serde!(MediaKind);

impl Provider {
    /// The provider's name as people write it.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Dailymotion => "Dailymotion",
            Provider::Youtube => "YouTube",
            Provider::Flickr => "Flickr",
            Provider::Instagram => "Instagram",
            Provider::Web => "web",
        }
    }
}

/// A media item as given by an editor: an address and optional descriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaInput {
    /// The address of the photo, video, album or post.
    pub url: String,
    /// The kind declared by the editor; guessed from the address when absent.
    pub kind: Option<MediaKind>,
    /// The text alternative read to people who cannot see the media; required for images.
    pub alt: Option<String>,
    /// A caption shown with the media.
    pub caption: Option<String>,
    /// Who made the media ("Photo : Ville de Toulouse").
    pub credit: Option<String>,
}

/// A checked media item, stored as JSON with camelCase field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Media {
    /// Image, video or album.
    pub kind: MediaKind,
    /// Who hosts it.
    pub provider: Provider,
    /// The provider's identifier of the video, photo, album or post, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// The canonical address: one address per item, whatever form was given.
    pub url: String,
    /// An address to show the item in an `<iframe>`, when the provider offers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embed_url: Option<String>,
    /// A preview image, when the provider documents a predictable one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// The text alternative; always present for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// The caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
}

impl Media {
    /// The longest address accepted, in bytes.
    pub const MAX_URL_BYTES: usize = weblink::MAX_URL_BYTES;
    /// The longest text alternative, in characters.
    pub const MAX_ALT_CHARS: usize = 300;
    /// The longest caption, in characters.
    pub const MAX_CAPTION_CHARS: usize = 500;
    /// The longest credit, in characters.
    pub const MAX_CREDIT_CHARS: usize = 200;
}

/// Why a media item was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// No address was given.
    #[error("a media item needs an address")]
    UrlMissing,
    /// The address is longer than [`Media::MAX_URL_BYTES`].
    #[error("a media address has at most {max} characters")]
    UrlTooLong {
        /// The limit, in bytes.
        max: usize,
    },
    /// The address holds a line break, a tab or another control character.
    #[error("a media address cannot contain line breaks, tabs or other control characters")]
    UrlControlCharacter,
    /// The address lacks its `https://` beginning.
    #[error("a media address must be complete, starting with https://")]
    UrlNotAbsolute,
    /// The address cannot be read.
    #[error("this media address cannot be read; check it for typing mistakes")]
    UrlMalformed,
    /// The address uses `http://`.
    #[error(
        "a media address must start with https://, not http://: the site is served over \
         https and browsers block http media on it"
    )]
    UrlNotHttps,
    /// The address uses a scheme other than https.
    #[error("a media address must start with https://, not {scheme}:")]
    UrlSchemeNotSupported {
        /// The scheme given.
        scheme: String,
    },
    /// The address holds a user name or password.
    #[error("a media address cannot contain a user name or password")]
    UrlCredentials,
    /// The address points to an IP address or a private machine.
    #[error("a media address must point to a public web site, not to {host}")]
    UrlHostNotPublic {
        /// The host given.
        host: String,
    },
    /// A provider's address whose identifier is missing or malformed.
    #[error("this {} address has no valid {expected}", .provider.name())]
    MalformedId {
        /// The provider recognised.
        provider: Provider,
        /// What was expected.
        expected: &'static str,
    },
    /// A provider's page that is not a single media item (a channel, a profile, a list).
    #[error("this {} page is not a single media item: link to {expected}", .provider.name())]
    NotAMediaPage {
        /// The provider recognised.
        provider: Provider,
        /// The forms accepted.
        expected: &'static str,
    },
    /// A short link that cannot be resolved without visiting it.
    #[error(
        "{} short links cannot be used: open the link and paste the full {full} address",
        .provider.name()
    )]
    ShortLink {
        /// The provider recognised.
        provider: Provider,
        /// The site of full addresses.
        full: &'static str,
    },
    /// The declared kind contradicts what the provider hosts at that address.
    #[error("this {} address is {expected}; it cannot be attached as {declared}", .provider.name())]
    KindMismatch {
        /// The provider recognised.
        provider: Provider,
        /// The kind declared.
        declared: MediaKind,
        /// What the address holds.
        expected: &'static str,
    },
    /// An image without a text alternative.
    #[error("an image needs a text alternative (alt) describing it for people who cannot see it")]
    AltMissing,
    /// The text alternative is longer than [`Media::MAX_ALT_CHARS`].
    #[error("a text alternative has at most {max} characters")]
    AltTooLong {
        /// The limit.
        max: usize,
    },
    /// The caption is longer than [`Media::MAX_CAPTION_CHARS`].
    #[error("a caption has at most {max} characters")]
    CaptionTooLong {
        /// The limit.
        max: usize,
    },
    /// The credit is longer than [`Media::MAX_CREDIT_CHARS`].
    #[error("a credit has at most {max} characters")]
    CreditTooLong {
        /// The limit.
        max: usize,
    },
    /// A text alternative, caption or credit holds a line break or another control
    /// character.
    #[error("the {field} cannot contain line breaks, tabs or other control characters")]
    TextControlCharacter {
        /// `"text alternative"`, `"caption"` or `"credit"`.
        field: &'static str,
    },
}

impl From<LinkProblem> for MediaError {
    fn from(problem: LinkProblem) -> Self {
        match problem {
            LinkProblem::Empty => MediaError::UrlMissing,
            LinkProblem::TooLong => MediaError::UrlTooLong {
                max: Media::MAX_URL_BYTES,
            },
            LinkProblem::ControlCharacter => MediaError::UrlControlCharacter,
            LinkProblem::NotAbsolute => MediaError::UrlNotAbsolute,
            LinkProblem::Malformed => MediaError::UrlMalformed,
            LinkProblem::PlainHttp => MediaError::UrlNotHttps,
            LinkProblem::UnsupportedScheme(scheme) => MediaError::UrlSchemeNotSupported { scheme },
            LinkProblem::Credentials => MediaError::UrlCredentials,
            LinkProblem::HostNotPublic(host) => MediaError::UrlHostNotPublic { host },
        }
    }
}

/// Checks a media item given by an editor and normalises it: a recognised provider's address
/// becomes its canonical form with its embed and thumbnail addresses; any other https address
/// is kept, without its tracking parameters, as a [`Provider::Web`] item, an image unless
/// declared otherwise.
pub fn check_media(input: MediaInput) -> Result<Media, MediaError> {
    let mut url = weblink::parse_https(&input.url)?;
    let found = match recognise(&url)? {
        Some(found) => found,
        None => {
            weblink::drop_tracking(&mut url, &[]);
            let url = weblink::within_length(url)?;
            Found {
                provider: Provider::Web,
                provider_id: None,
                kinds: Kinds::ANY,
                url: url.into(),
                embed_url: None,
                thumbnail_url: None,
            }
        }
    };
    let kind = match input.kind {
        None => found.kinds.allowed[0],
        Some(declared) if found.kinds.allowed.contains(&declared) => declared,
        Some(declared) => {
            return Err(MediaError::KindMismatch {
                provider: found.provider,
                declared,
                expected: found.kinds.described,
            });
        }
    };
    let alt = text(
        input.alt,
        "text alternative",
        Media::MAX_ALT_CHARS,
        MediaError::AltTooLong {
            max: Media::MAX_ALT_CHARS,
        },
    )?;
    if kind == MediaKind::Image && alt.is_none() {
        return Err(MediaError::AltMissing);
    }
    let caption = text(
        input.caption,
        "caption",
        Media::MAX_CAPTION_CHARS,
        MediaError::CaptionTooLong {
            max: Media::MAX_CAPTION_CHARS,
        },
    )?;
    let credit = text(
        input.credit,
        "credit",
        Media::MAX_CREDIT_CHARS,
        MediaError::CreditTooLong {
            max: Media::MAX_CREDIT_CHARS,
        },
    )?;
    Ok(Media {
        kind,
        provider: found.provider,
        provider_id: found.provider_id,
        url: found.url,
        embed_url: found.embed_url,
        thumbnail_url: found.thumbnail_url,
        alt,
        caption,
        credit,
    })
}

/// Trims a description; blank becomes `None`.
fn text(
    raw: Option<String>,
    field: &'static str,
    max: usize,
    too_long: MediaError,
) -> Result<Option<String>, MediaError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(MediaError::TextControlCharacter { field });
    }
    if trimmed.chars().count() > max {
        return Err(too_long);
    }
    Ok(Some(trimmed.to_owned()))
}

/// The kinds an address may hold, the first being the one assumed when none is declared.
struct Kinds {
    allowed: &'static [MediaKind],
    described: &'static str,
}

impl Kinds {
    const ANY: Kinds = Kinds {
        allowed: &[MediaKind::Image, MediaKind::Video, MediaKind::Album],
        described: "an image, a video or an album",
    };
    const VIDEO: Kinds = Kinds {
        allowed: &[MediaKind::Video],
        described: "a video",
    };
    const ALBUM: Kinds = Kinds {
        allowed: &[MediaKind::Album],
        described: "an album",
    };
    const PHOTO: Kinds = Kinds {
        allowed: &[MediaKind::Image, MediaKind::Video],
        described: "a photo or a video",
    };
    const POST: Kinds = Kinds {
        allowed: &[MediaKind::Image, MediaKind::Video, MediaKind::Album],
        described: "a post (an image, a video or an album)",
    };
}

/// What a recognised address is.
struct Found {
    provider: Provider,
    provider_id: Option<String>,
    kinds: Kinds,
    url: String,
    embed_url: Option<String>,
    thumbnail_url: Option<String>,
}

/// Recognises a provider's address; `None` for any other site.
fn recognise(url: &Url) -> Result<Option<Found>, MediaError> {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|segments| segments.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let found = match weblink::site(url) {
        "youtube.com" | "youtube-nocookie.com" => youtube(url, &segments)?,
        "youtu.be" => match segments.as_slice() {
            [id] => youtube_video(id)?,
            _ => return Err(youtube_malformed()),
        },
        "dailymotion.com" => dailymotion(&segments)?,
        "geo.dailymotion.com" => match query(url, "video") {
            Some(id) => dailymotion_video(&id)?,
            None => return Err(dailymotion_malformed()),
        },
        "dai.ly" => match segments.as_slice() {
            [id] => dailymotion_video(id)?,
            _ => return Err(dailymotion_malformed()),
        },
        "flickr.com" => flickr(&segments)?,
        "flic.kr" => {
            return Err(MediaError::ShortLink {
                provider: Provider::Flickr,
                full: "flickr.com",
            });
        }
        "instagram.com" | "instagr.am" => instagram(&segments)?,
        _ => return Ok(None),
    };
    Ok(Some(found))
}

/// The first value of a query parameter.
fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn is(segment: &str, word: &str) -> bool {
    segment.eq_ignore_ascii_case(word)
}

fn youtube(url: &Url, segments: &[&str]) -> Result<Found, MediaError> {
    match segments {
        [watch] if is(watch, "watch") => match query(url, "v") {
            Some(id) => youtube_video(&id),
            None => Err(youtube_malformed()),
        },
        [form, id, ..] if ["shorts", "embed", "live", "v"].iter().any(|w| is(form, w)) => {
            youtube_video(id)
        }
        _ => Err(MediaError::NotAMediaPage {
            provider: Provider::Youtube,
            expected: "a video (youtube.com/watch?v=…, youtu.be/…, youtube.com/shorts/…)",
        }),
    }
}

fn youtube_malformed() -> MediaError {
    MediaError::MalformedId {
        provider: Provider::Youtube,
        expected: "video id (11 letters, digits, - or _, as in youtube.com/watch?v=…)",
    }
}

fn youtube_video(id: &str) -> Result<Found, MediaError> {
    let well_formed = id.len() == 11
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(youtube_malformed());
    }
    Ok(Found {
        provider: Provider::Youtube,
        provider_id: Some(id.to_owned()),
        kinds: Kinds::VIDEO,
        url: format!("https://www.youtube.com/watch?v={id}"),
        embed_url: Some(format!("https://www.youtube-nocookie.com/embed/{id}")),
        thumbnail_url: Some(format!("https://i.ytimg.com/vi/{id}/hqdefault.jpg")),
    })
}

fn dailymotion(segments: &[&str]) -> Result<Found, MediaError> {
    match segments {
        [video, id] if is(video, "video") => dailymotion_video(id),
        [embed, video, id] if is(embed, "embed") && is(video, "video") => dailymotion_video(id),
        _ => Err(MediaError::NotAMediaPage {
            provider: Provider::Dailymotion,
            expected: "a video (dailymotion.com/video/…, dai.ly/…)",
        }),
    }
}

fn dailymotion_malformed() -> MediaError {
    MediaError::MalformedId {
        provider: Provider::Dailymotion,
        expected: "video id (an x followed by letters and digits, as in dailymotion.com/video/x8abc12)",
    }
}

fn dailymotion_video(id: &str) -> Result<Found, MediaError> {
    // Older addresses append the title to the id: `x7tgad0_fete-de-la-musique`.
    let id = id.split('_').next().unwrap_or_default();
    let well_formed = id.len() >= 2
        && id.len() <= 20
        && id.starts_with('x')
        && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed {
        return Err(dailymotion_malformed());
    }
    Ok(Found {
        provider: Provider::Dailymotion,
        provider_id: Some(id.to_owned()),
        kinds: Kinds::VIDEO,
        url: format!("https://www.dailymotion.com/video/{id}"),
        embed_url: Some(format!("https://www.dailymotion.com/embed/video/{id}")),
        thumbnail_url: Some(format!("https://www.dailymotion.com/thumbnail/video/{id}")),
    })
}

fn flickr(segments: &[&str]) -> Result<Found, MediaError> {
    let not_media = MediaError::NotAMediaPage {
        provider: Provider::Flickr,
        expected: "a photo (flickr.com/photos/<user>/<number>) or an album \
                   (flickr.com/photos/<user>/albums/<number>)",
    };
    let [photos, user, rest @ ..] = segments else {
        return Err(not_media);
    };
    if !is(photos, "photos") {
        return Err(not_media);
    }
    let user_ok = user.len() <= 100
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'@' | b'.'));
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    match rest {
        [albums, id, ..] if is(albums, "albums") || is(albums, "sets") => {
            if !user_ok {
                return Err(flickr_malformed("user name"));
            }
            if !digits(id, 25) {
                return Err(flickr_malformed("album number"));
            }
            Ok(Found {
                provider: Provider::Flickr,
                provider_id: Some((*id).to_owned()),
                kinds: Kinds::ALBUM,
                url: format!("https://www.flickr.com/photos/{user}/albums/{id}"),
                embed_url: None,
                thumbnail_url: None,
            })
        }
        [id, ..] if digits(id, 20) => {
            if !user_ok {
                return Err(flickr_malformed("user name"));
            }
            Ok(Found {
                provider: Provider::Flickr,
                provider_id: Some((*id).to_owned()),
                kinds: Kinds::PHOTO,
                url: format!("https://www.flickr.com/photos/{user}/{id}"),
                embed_url: None,
                thumbnail_url: None,
            })
        }
        [albums] if is(albums, "albums") || is(albums, "sets") => {
            Err(flickr_malformed("album number"))
        }
        _ => Err(not_media),
    }
}

fn flickr_malformed(expected: &'static str) -> MediaError {
    MediaError::MalformedId {
        provider: Provider::Flickr,
        expected,
    }
}

fn instagram(segments: &[&str]) -> Result<Found, MediaError> {
    let kinds_of = |segment: &str| {
        if is(segment, "p") {
            Some(Kinds::POST)
        } else if ["reel", "reels", "tv"].iter().any(|w| is(segment, w)) {
            Some(Kinds::VIDEO)
        } else {
            None
        }
    };
    // Shared posts may carry the author first: `instagram.com/<user>/p/<code>/`.
    let (kinds, code) = match segments {
        [form, rest @ ..] if kinds_of(form).is_some() => (kinds_of(form), rest.first()),
        [_, form, rest @ ..] if kinds_of(form).is_some() => (kinds_of(form), rest.first()),
        _ => (None, None),
    };
    let Some(kinds) = kinds else {
        return Err(MediaError::NotAMediaPage {
            provider: Provider::Instagram,
            expected: "a post or a reel (instagram.com/p/…, instagram.com/reel/…)",
        });
    };
    let well_formed = code.is_some_and(|code| {
        (5..=64).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let (Some(code), true) = (code, well_formed) else {
        return Err(MediaError::MalformedId {
            provider: Provider::Instagram,
            expected: "post code (letters, digits, - or _, as in instagram.com/p/…)",
        });
    };
    Ok(Found {
        provider: Provider::Instagram,
        provider_id: Some((*code).to_owned()),
        kinds,
        url: format!("https://www.instagram.com/p/{code}/"),
        embed_url: Some(format!("https://www.instagram.com/p/{code}/embed")),
        thumbnail_url: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn video(url: &str) -> Result<Media, MediaError> {
        check_media(MediaInput {
            url: url.into(),
            ..MediaInput::default()
        })
    }

    fn image(url: &str) -> Result<Media, MediaError> {
        check_media(MediaInput {
            url: url.into(),
            alt: Some("La place du Capitole illuminée".into()),
            ..MediaInput::default()
        })
    }

    fn as_kind(url: &str, kind: MediaKind) -> Result<Media, MediaError> {
        check_media(MediaInput {
            url: url.into(),
            kind: Some(kind),
            alt: Some("Description".into()),
            ..MediaInput::default()
        })
    }

    #[test]
    fn every_dailymotion_form_gives_the_same_canonical_video() {
        for url in [
            "https://www.dailymotion.com/video/x8abc12",
            "https://dailymotion.com/video/x8abc12",
            "https://WWW.DailyMotion.COM/video/x8abc12?playlist=x6hynp&utm_source=fb",
            "https://m.dailymotion.com/video/x8abc12",
            "https://dai.ly/x8abc12",
            "https://www.dailymotion.com/embed/video/x8abc12",
            "https://www.dailymotion.com/embed/video/x8abc12/",
            "https://www.dailymotion.com/video/x8abc12_fete-de-la-musique_news",
            "https://geo.dailymotion.com/player.html?video=x8abc12",
        ] {
            let media = video(url).unwrap();
            assert_eq!(media.provider, Provider::Dailymotion, "{url}");
            assert_eq!(media.kind, MediaKind::Video, "{url}");
            assert_eq!(media.provider_id.as_deref(), Some("x8abc12"), "{url}");
            assert_eq!(media.url, "https://www.dailymotion.com/video/x8abc12");
            assert_eq!(
                media.embed_url.as_deref(),
                Some("https://www.dailymotion.com/embed/video/x8abc12")
            );
            assert_eq!(
                media.thumbnail_url.as_deref(),
                Some("https://www.dailymotion.com/thumbnail/video/x8abc12")
            );
        }
    }

    #[test]
    fn every_youtube_form_gives_the_same_canonical_video_with_a_private_player() {
        for url in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.YouTube.com/watch?feature=share&v=dQw4w9WgXcQ&list=PL123",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ?si=Ab12Cd34&t=10",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0",
            "https://www.youtube.com/live/dQw4w9WgXcQ",
        ] {
            let media = video(url).unwrap();
            assert_eq!(media.provider, Provider::Youtube, "{url}");
            assert_eq!(media.kind, MediaKind::Video, "{url}");
            assert_eq!(media.provider_id.as_deref(), Some("dQw4w9WgXcQ"), "{url}");
            assert_eq!(media.url, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
            assert_eq!(
                media.embed_url.as_deref(),
                Some("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
            );
            assert_eq!(
                media.thumbnail_url.as_deref(),
                Some("https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg")
            );
        }
        // Ids keep their case and may hold - and _.
        let media = video("https://youtu.be/a-B_c1D2e3F").unwrap();
        assert_eq!(media.url, "https://www.youtube.com/watch?v=a-B_c1D2e3F");
    }

    #[test]
    fn flickr_albums_and_photos_are_told_apart() {
        for url in [
            "https://www.flickr.com/photos/toulouse/albums/72157720000000000",
            "https://flickr.com/photos/toulouse/albums/72157720000000000/",
            "https://www.flickr.com/photos/toulouse/sets/72157720000000000",
            "https://www.flickr.com/photos/toulouse/albums/72157720000000000/with/53000000000",
        ] {
            let media = video(url).unwrap();
            assert_eq!(media.provider, Provider::Flickr, "{url}");
            assert_eq!(media.kind, MediaKind::Album, "{url}");
            assert_eq!(
                media.provider_id.as_deref(),
                Some("72157720000000000"),
                "{url}"
            );
            assert_eq!(
                media.url,
                "https://www.flickr.com/photos/toulouse/albums/72157720000000000"
            );
            assert_eq!(media.embed_url, None);
        }
        for url in [
            "https://www.flickr.com/photos/toulouse/53000000000",
            "https://www.flickr.com/photos/toulouse/53000000000/",
            "https://www.flickr.com/photos/toulouse/53000000000/in/album-72157720000000000/",
        ] {
            let media = image(url).unwrap();
            assert_eq!(media.kind, MediaKind::Image, "{url}");
            assert_eq!(media.provider_id.as_deref(), Some("53000000000"), "{url}");
            assert_eq!(
                media.url,
                "https://www.flickr.com/photos/toulouse/53000000000"
            );
        }
        let nsid = image("https://www.flickr.com/photos/12345678@N04/53000000000").unwrap();
        assert_eq!(
            nsid.url,
            "https://www.flickr.com/photos/12345678@N04/53000000000"
        );
        // Flickr also hosts videos on photo pages.
        let clip = as_kind(
            "https://www.flickr.com/photos/toulouse/53000000000",
            MediaKind::Video,
        )
        .unwrap();
        assert_eq!(clip.kind, MediaKind::Video);
    }

    #[test]
    fn flickr_short_links_ask_for_the_full_address() {
        for url in ["https://flic.kr/s/aHBqjAzXyZ", "https://flic.kr/p/2oAbCdE"] {
            let err = video(url).unwrap_err();
            assert_eq!(
                err,
                MediaError::ShortLink {
                    provider: Provider::Flickr,
                    full: "flickr.com"
                }
            );
            assert_eq!(
                err.to_string(),
                "Flickr short links cannot be used: open the link and paste the full \
                 flickr.com address"
            );
        }
    }

    #[test]
    fn instagram_posts_and_reels_share_one_canonical_form() {
        let post = image("https://www.instagram.com/p/C1a2B3c4D5e/?igsh=abc&img_index=1").unwrap();
        assert_eq!(post.provider, Provider::Instagram);
        assert_eq!(post.kind, MediaKind::Image);
        assert_eq!(post.provider_id.as_deref(), Some("C1a2B3c4D5e"));
        assert_eq!(post.url, "https://www.instagram.com/p/C1a2B3c4D5e/");
        assert_eq!(
            post.embed_url.as_deref(),
            Some("https://www.instagram.com/p/C1a2B3c4D5e/embed")
        );
        assert_eq!(post.thumbnail_url, None);
        for url in [
            "https://www.instagram.com/reel/C1a2B3c4D5e/",
            "https://instagram.com/reel/C1a2B3c4D5e",
            "https://www.instagram.com/reels/C1a2B3c4D5e/",
            "https://www.instagram.com/toulouse/reel/C1a2B3c4D5e/?igshid=xyz",
        ] {
            let reel = video(url).unwrap();
            assert_eq!(reel.kind, MediaKind::Video, "{url}");
            assert_eq!(
                reel.url, "https://www.instagram.com/p/C1a2B3c4D5e/",
                "{url}"
            );
        }
        let shared = image("https://www.instagram.com/toulouse/p/C1a2B3c4D5e/").unwrap();
        assert_eq!(shared.url, "https://www.instagram.com/p/C1a2B3c4D5e/");
        // A post may be a video or a carousel: the editor says which.
        let carousel =
            as_kind("https://www.instagram.com/p/C1a2B3c4D5e/", MediaKind::Album).unwrap();
        assert_eq!(carousel.kind, MediaKind::Album);
    }

    #[test]
    fn other_https_addresses_are_web_images_unless_declared_otherwise() {
        let photo = check_media(MediaInput {
            url: " https://Static.Toulouse.FR/photos/capitole%20nuit.jpg?w=1200&utm_source=nl "
                .into(),
            alt: Some("  La place du Capitole de nuit ".into()),
            caption: Some("Le Capitole illuminé".into()),
            credit: Some("Photo : Ville de Toulouse".into()),
            kind: None,
        })
        .unwrap();
        assert_eq!(
            photo,
            Media {
                kind: MediaKind::Image,
                provider: Provider::Web,
                provider_id: None,
                url: "https://static.toulouse.fr/photos/capitole%20nuit.jpg?w=1200".into(),
                embed_url: None,
                thumbnail_url: None,
                alt: Some("La place du Capitole de nuit".into()),
                caption: Some("Le Capitole illuminé".into()),
                credit: Some("Photo : Ville de Toulouse".into()),
            }
        );
        let clip = as_kind(
            "https://videos.toulouse.fr/feu-artifice.mp4",
            MediaKind::Video,
        );
        assert_eq!(clip.unwrap().kind, MediaKind::Video);
        let gallery = as_kind("https://www.toulouse.fr/galerie/noel", MediaKind::Album);
        assert_eq!(gallery.unwrap().provider, Provider::Web);
        // A lookalike host is not the provider.
        let lookalike = image("https://youtube.com.example.org/watch?v=dQw4w9WgXcQ").unwrap();
        assert_eq!(lookalike.provider, Provider::Web);
    }

    #[test]
    fn unsafe_or_incomplete_addresses_are_refused_with_the_reason() {
        let cases = [
            ("", MediaError::UrlMissing, "a media item needs an address"),
            (
                "www.toulouse.fr/a.jpg",
                MediaError::UrlNotAbsolute,
                "a media address must be complete, starting with https://",
            ),
            (
                "http://www.toulouse.fr/a.jpg",
                MediaError::UrlNotHttps,
                "a media address must start with https://, not http://: the site is served \
                 over https and browsers block http media on it",
            ),
            (
                "ftp://files.toulouse.fr/a.jpg",
                MediaError::UrlSchemeNotSupported {
                    scheme: "ftp".into(),
                },
                "a media address must start with https://, not ftp:",
            ),
            (
                "https://agent:secret@www.toulouse.fr/a.jpg",
                MediaError::UrlCredentials,
                "a media address cannot contain a user name or password",
            ),
            (
                "https://www.toulouse.fr/a\u{7}.jpg",
                MediaError::UrlControlCharacter,
                "a media address cannot contain line breaks, tabs or other control characters",
            ),
            (
                "https://www.toulouse.fr/a\n.jpg",
                MediaError::UrlControlCharacter,
                "a media address cannot contain line breaks, tabs or other control characters",
            ),
            (
                "https://10.0.0.1/a.jpg",
                MediaError::UrlHostNotPublic {
                    host: "10.0.0.1".into(),
                },
                "a media address must point to a public web site, not to 10.0.0.1",
            ),
            (
                "https://[::1/a.jpg",
                MediaError::UrlMalformed,
                "this media address cannot be read; check it for typing mistakes",
            ),
        ];
        for (url, error, message) in cases {
            let err = image(url).unwrap_err();
            assert_eq!(err, error, "{url}");
            assert_eq!(err.to_string(), message, "{url}");
        }
        let long = format!("https://www.toulouse.fr/{}.jpg", "a".repeat(2048));
        let err = image(&long).unwrap_err();
        assert_eq!(err, MediaError::UrlTooLong { max: 2048 });
        assert_eq!(
            err.to_string(),
            "a media address has at most 2048 characters"
        );
        let just_fits = format!("https://www.toulouse.fr/{}", "a".repeat(2048 - 24));
        assert_eq!(just_fits.len(), 2048);
        assert!(image(&just_fits).is_ok());
    }

    #[test]
    fn provider_addresses_with_a_bad_id_are_refused() {
        let youtube = "this YouTube address has no valid video id (11 letters, digits, - or _, \
                       as in youtube.com/watch?v=…)";
        let dailymotion = "this Dailymotion address has no valid video id (an x followed by \
                           letters and digits, as in dailymotion.com/video/x8abc12)";
        let instagram = "this Instagram address has no valid post code (letters, digits, - or \
                         _, as in instagram.com/p/…)";
        for (url, message) in [
            ("https://www.youtube.com/watch?list=PL123", youtube),
            ("https://www.youtube.com/watch?v=short", youtube),
            ("https://www.youtube.com/watch?v=dQw4w9WgXcQQ", youtube),
            ("https://www.youtube.com/watch?v=dQw4w9WgX%21Q", youtube),
            ("https://youtu.be/", youtube),
            ("https://www.youtube.com/shorts/abc", youtube),
            ("https://www.dailymotion.com/video/8abc12", dailymotion),
            ("https://www.dailymotion.com/video/x8abc-12", dailymotion),
            ("https://dai.ly/", dailymotion),
            ("https://geo.dailymotion.com/player.html", dailymotion),
            (
                "https://www.flickr.com/photos/toulouse/albums/summer",
                "this Flickr address has no valid album number",
            ),
            (
                "https://www.flickr.com/photos/toulouse/sets/",
                "this Flickr address has no valid album number",
            ),
            (
                "https://www.flickr.com/photos/tou%20louse/53000000000",
                "this Flickr address has no valid user name",
            ),
            ("https://www.instagram.com/p/", instagram),
            ("https://www.instagram.com/reel/a%2Fb/", instagram),
        ] {
            let err = video(url).unwrap_err();
            assert!(matches!(err, MediaError::MalformedId { .. }), "{url}");
            assert_eq!(err.to_string(), message, "{url}");
        }
    }

    #[test]
    fn provider_pages_that_are_not_one_media_item_are_refused() {
        for (url, provider) in [
            (
                "https://www.youtube.com/@VilledeToulouse",
                Provider::Youtube,
            ),
            (
                "https://www.youtube.com/playlist?list=PL123",
                Provider::Youtube,
            ),
            ("https://www.youtube.com/", Provider::Youtube),
            (
                "https://www.dailymotion.com/villedetoulouse",
                Provider::Dailymotion,
            ),
            ("https://www.flickr.com/photos/toulouse/", Provider::Flickr),
            (
                "https://www.flickr.com/photos/toulouse/favorites",
                Provider::Flickr,
            ),
            ("https://www.flickr.com/groups/toulouse", Provider::Flickr),
            ("https://www.instagram.com/toulouse/", Provider::Instagram),
        ] {
            let err = video(url).unwrap_err();
            assert!(
                matches!(err, MediaError::NotAMediaPage { provider: p, .. } if p == provider),
                "{url}: {err:?}"
            );
        }
        assert_eq!(
            video("https://www.youtube.com/@VilledeToulouse")
                .unwrap_err()
                .to_string(),
            "this YouTube page is not a single media item: link to a video \
             (youtube.com/watch?v=…, youtu.be/…, youtube.com/shorts/…)"
        );
    }

    #[test]
    fn a_declared_kind_must_match_what_the_provider_hosts() {
        let err = as_kind("https://youtu.be/dQw4w9WgXcQ", MediaKind::Image).unwrap_err();
        assert_eq!(
            err,
            MediaError::KindMismatch {
                provider: Provider::Youtube,
                declared: MediaKind::Image,
                expected: "a video",
            }
        );
        assert_eq!(
            err.to_string(),
            "this YouTube address is a video; it cannot be attached as IMAGE"
        );
        let err = as_kind("https://dai.ly/x8abc12", MediaKind::Album).unwrap_err();
        assert_eq!(
            err.to_string(),
            "this Dailymotion address is a video; it cannot be attached as ALBUM"
        );
        let err = as_kind(
            "https://www.flickr.com/photos/toulouse/albums/72157720000000000",
            MediaKind::Image,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "this Flickr address is an album; it cannot be attached as IMAGE"
        );
        let err = as_kind(
            "https://www.flickr.com/photos/toulouse/53000000000",
            MediaKind::Album,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "this Flickr address is a photo or a video; it cannot be attached as ALBUM"
        );
        let err = as_kind(
            "https://www.instagram.com/reel/C1a2B3c4D5e/",
            MediaKind::Image,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "this Instagram address is a video; it cannot be attached as IMAGE"
        );
        assert!(as_kind("https://youtu.be/dQw4w9WgXcQ", MediaKind::Video).is_ok());
    }

    #[test]
    fn images_need_a_text_alternative_and_other_media_may_have_one() {
        for alt in [None, Some(String::new()), Some("   ".to_owned())] {
            let err = check_media(MediaInput {
                url: "https://www.toulouse.fr/a.jpg".into(),
                alt,
                ..MediaInput::default()
            })
            .unwrap_err();
            assert_eq!(err, MediaError::AltMissing);
            assert_eq!(
                err.to_string(),
                "an image needs a text alternative (alt) describing it for people who cannot \
                 see it"
            );
        }
        let err = video("https://www.flickr.com/photos/toulouse/53000000000").unwrap_err();
        assert_eq!(err, MediaError::AltMissing);
        let media = check_media(MediaInput {
            url: "https://youtu.be/dQw4w9WgXcQ".into(),
            alt: Some("Le feu d'artifice du 14 juillet".into()),
            ..MediaInput::default()
        })
        .unwrap();
        assert_eq!(
            media.alt.as_deref(),
            Some("Le feu d'artifice du 14 juillet")
        );
        assert_eq!(video("https://youtu.be/dQw4w9WgXcQ").unwrap().alt, None);
    }

    #[test]
    fn descriptions_have_limits_in_characters_and_no_control_characters() {
        let with = |alt: &str, caption: &str, credit: &str| {
            check_media(MediaInput {
                url: "https://www.toulouse.fr/a.jpg".into(),
                kind: None,
                alt: Some(alt.into()),
                caption: Some(caption.into()),
                credit: Some(credit.into()),
            })
        };
        // Limits count characters, not bytes: "é" is two bytes.
        assert!(with(&"é".repeat(300), &"é".repeat(500), &"é".repeat(200)).is_ok());
        let cases = [
            (
                with(&"é".repeat(301), "", ""),
                MediaError::AltTooLong { max: 300 },
                "a text alternative has at most 300 characters",
            ),
            (
                with("Photo", &"é".repeat(501), ""),
                MediaError::CaptionTooLong { max: 500 },
                "a caption has at most 500 characters",
            ),
            (
                with("Photo", "", &"é".repeat(201)),
                MediaError::CreditTooLong { max: 200 },
                "a credit has at most 200 characters",
            ),
            (
                with("Photo\u{0}", "", ""),
                MediaError::TextControlCharacter {
                    field: "text alternative",
                },
                "the text alternative cannot contain line breaks, tabs or other control \
                 characters",
            ),
            (
                with("Photo", "Ligne 1\nLigne 2", ""),
                MediaError::TextControlCharacter { field: "caption" },
                "the caption cannot contain line breaks, tabs or other control characters",
            ),
            (
                with("Photo", "", "Photo :\tVille"),
                MediaError::TextControlCharacter { field: "credit" },
                "the credit cannot contain line breaks, tabs or other control characters",
            ),
        ];
        for (result, error, message) in cases {
            let err = result.unwrap_err();
            assert_eq!(err, error);
            assert_eq!(err.to_string(), message);
        }
        let blank = with("Photo", "  ", "").unwrap();
        assert_eq!((blank.caption, blank.credit), (None, None));
    }

    #[test]
    fn media_is_stored_as_camel_case_json_and_read_back() {
        let media = check_media(MediaInput {
            url: "https://youtu.be/dQw4w9WgXcQ".into(),
            kind: None,
            alt: None,
            caption: Some("Le 14 juillet".into()),
            credit: Some("Ville de Toulouse".into()),
        })
        .unwrap();
        let json = serde_json::to_value(&media).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "VIDEO",
                "provider": "YOUTUBE",
                "providerId": "dQw4w9WgXcQ",
                "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                "embedUrl": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
                "thumbnailUrl": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",
                "caption": "Le 14 juillet",
                "credit": "Ville de Toulouse",
            })
        );
        let read: Media = serde_json::from_value(json).unwrap();
        assert_eq!(read, media);

        let web = image("https://www.toulouse.fr/a.jpg").unwrap();
        let text = serde_json::to_string(&web).unwrap();
        assert_eq!(serde_json::from_str::<Media>(&text).unwrap(), web);

        let unknown = r#"{"kind":"PODCAST","provider":"WEB","url":"https://a.fr/x"}"#;
        assert!(serde_json::from_str::<Media>(unknown).is_err());
    }

    #[test]
    fn provider_codes_round_trip() {
        for &provider in Provider::ALL {
            assert_eq!(Provider::from_code(provider.code()), Some(provider));
        }
        assert_eq!(Provider::from_code("VIMEO"), None);
    }
}
