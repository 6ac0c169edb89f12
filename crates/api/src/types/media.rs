//! Photos, videos and albums attached by address to articles, events and places: the
//! city's channels (Dailymotion, Flickr, Instagram, YouTube) recognised, any other https page
//! kept as it is.

use async_graphql::{Enum, InputObject, SimpleObject};
use capitole_domain::media::{Media as DomainMedia, MediaInput as DomainMediaInput};

use super::scalars::Url;

/// Kinds of media.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::article::MediaKind")]
pub(crate) enum MediaKind {
    /// A photograph or illustration.
    Image,
    /// A video.
    Video,
    /// A photo album.
    Album,
}

/// Who hosts a media item.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::media::Provider")]
pub(crate) enum MediaProvider {
    /// Dailymotion videos.
    Dailymotion,
    /// YouTube videos.
    Youtube,
    /// Flickr photos and albums.
    Flickr,
    /// Instagram posts and reels.
    Instagram,
    /// Any other https image or page.
    Web,
}

/// A photo, video or album attached to an article, an event or a place.
#[derive(SimpleObject, Clone)]
pub(crate) struct Media {
    /// Whether it is an image, a video or an album.
    pub kind: MediaKind,
    /// Its canonical address (a Dailymotion or YouTube page for videos, a Flickr album…).
    pub url: Url,
    /// Who hosts it.
    pub provider: Option<MediaProvider>,
    /// The host's identifier of the item.
    pub provider_id: Option<String>,
    /// An address to show it in an `<iframe>` (YouTube's privacy-enhanced player).
    pub embed_url: Option<Url>,
    /// A preview image, when the host has a predictable one.
    pub thumbnail_url: Option<Url>,
    /// A caption.
    pub caption: Option<String>,
    /// Who made it.
    pub credit: Option<String>,
    /// What it shows, for people who cannot see it.
    pub alt: Option<String>,
}

impl From<DomainMedia> for Media {
    fn from(media: DomainMedia) -> Self {
        Media {
            kind: media.kind.into(),
            url: Url(media.url),
            provider: Some(media.provider.into()),
            provider_id: media.provider_id,
            embed_url: media.embed_url.map(Url),
            thumbnail_url: media.thumbnail_url.map(Url),
            caption: media.caption,
            credit: media.credit,
            alt: media.alt,
        }
    }
}

/// Reads the media stored with an article, an event or a place; an item that does not read
/// back is left out.
pub(crate) fn media_of(stored: &str) -> Vec<Media> {
    capitole_persistence::stored_lists::decode::<DomainMedia>(stored)
        .into_iter()
        .map(Media::from)
        .collect()
}

/// A photo, video or album, by address. Dailymotion, YouTube, Flickr and Instagram
/// addresses are recognised, checked and normalised (provider, id, embed address); other
/// https addresses are kept as they are. Images need a text alternative.
#[derive(InputObject, Clone)]
pub(crate) struct MediaInput {
    /// Its https address.
    pub url: Url,
    /// Its kind; guessed from the address when absent.
    pub kind: Option<MediaKind>,
    /// What it shows, for people who cannot see it (required for images).
    pub alt: Option<String>,
    /// A caption (up to 500 characters).
    pub caption: Option<String>,
    /// Who made it (up to 200 characters).
    pub credit: Option<String>,
}

impl From<MediaInput> for DomainMediaInput {
    fn from(media: MediaInput) -> Self {
        Self {
            url: media.url.0,
            kind: media.kind.map(Into::into),
            alt: media.alt,
            caption: media.caption,
            credit: media.credit,
        }
    }
}

impl MediaInput {
    /// The forms of `media`, in their order.
    pub(crate) fn forms(media: Vec<MediaInput>) -> Vec<DomainMediaInput> {
        media.into_iter().map(Into::into).collect()
    }
}
