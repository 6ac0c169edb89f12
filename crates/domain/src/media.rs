//! Photos, videos and albums attached to news and events by address. Addresses from
//! Dailymotion, YouTube, Flickr and Instagram are recognised and reduced to one canonical
//! form with, where the provider offers one, an embeddable player and a thumbnail; any other
//! https address is kept as a plain web resource.

use serde::{Deserialize, Serialize};
use url::Url;

pub use crate::article::MediaKind;
use crate::editorial::{FieldErrors, check_count, limits};
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

/// Checks the media of an article, an event or a place (at most [`limits::MEDIA`]), noting
/// each failure as `media[i]`; a list that is too long is refused whole.
pub fn check_media_list(errors: &mut FieldErrors, given: Vec<MediaInput>) -> Vec<Media> {
    if !check_count(errors, "media", given.len(), limits::MEDIA) {
        return Vec::new();
    }
    let mut checked = Vec::with_capacity(given.len());
    for (i, input) in given.into_iter().enumerate() {
        match check_media(input) {
            Ok(media) => checked.push(media),
            Err(e) => errors.add(format!("media[{i}]"), e.to_string()),
        }
    }
    checked
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
mod tests;
