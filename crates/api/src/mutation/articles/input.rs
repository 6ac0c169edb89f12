//! The inputs of the article mutations and their conversion into the domain's drafts: ids
//! are read here (an id that is not one is a failed field like any other), and every rule
//! of an article is the domain's.

use async_graphql::{ID, InputObject, MaybeUndefined};
use capitole_domain::article_draft::{
    self as draft, ArticleChanges, ArticleDraft, CoverInput as DomainCover, NewArticle,
};
use capitole_domain::editorial::{Checked, FieldErrors};
use uuid::Uuid;

use crate::ids::{self, Kind};
use crate::types::Audience;
use crate::types::media::MediaInput;
use crate::types::scalars::Url;

/// An image with its text alternative.
#[derive(InputObject)]
pub(crate) struct ImageInput {
    /// Where the image is: an https address.
    pub url: Url,
    /// What it shows, for people who cannot see it (required).
    pub alt: String,
    /// Who made it.
    pub credit: Option<String>,
}

impl From<ImageInput> for DomainCover {
    fn from(image: ImageInput) -> Self {
        Self {
            url: image.url.0,
            alt: image.alt,
            credit: image.credit,
        }
    }
}

/// A new article (a draft until it is published).
#[derive(InputObject)]
pub(crate) struct ArticleInput {
    /// 1 to 200 characters.
    pub title: String,
    /// Up to 600 characters.
    #[graphql(default)]
    pub summary: String,
    /// An optional easy-to-read summary (up to 1,200 characters).
    pub easy_read_summary: Option<String>,
    /// Markdown, up to 100,000 characters.
    #[graphql(default)]
    pub body: String,
    /// The author's name as shown.
    pub author_name: Option<String>,
    /// The cover image.
    pub cover_image: Option<ImageInput>,
    /// Up to 20 tags of 1 to 40 characters.
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Who it is meant for.
    #[graphql(default)]
    pub audiences: Vec<Audience>,
    /// The organizations that publish it (slugs, one or two: the city and the metropolitan
    /// authority may co-publish), each one the editor edits for; by default the
    /// organizations the editor edits for.
    pub publishers: Option<Vec<String>>,
    /// Slugs of its news categories (kind `ARTICLE`, up to 20).
    #[graphql(default)]
    pub categories: Vec<String>,
    /// Slugs of the neighbourhoods it concerns (up to 20).
    #[graphql(default)]
    pub neighborhoods: Vec<String>,
    /// Ids of events it is about (up to 20).
    #[graphql(default)]
    pub related_events: Vec<ID>,
    /// Ids of places it is about (up to 20).
    #[graphql(default)]
    pub related_places: Vec<ID>,
    /// Photos, videos and albums (up to 30).
    #[graphql(default)]
    pub media: Vec<MediaInput>,
}

impl ArticleInput {
    /// The draft this input describes, with every field that failed.
    pub(crate) fn into_draft(self) -> Checked<ArticleDraft> {
        let mut unreadable = FieldErrors::default();
        let related_events = read(
            &mut unreadable,
            "relatedEvents",
            Kind::Event,
            &self.related_events,
        );
        let related_places = read(
            &mut unreadable,
            "relatedPlaces",
            Kind::Place,
            &self.related_places,
        );
        ArticleDraft::parse(NewArticle {
            title: self.title,
            summary: self.summary,
            easy_read_summary: self.easy_read_summary,
            body: self.body,
            author_name: self.author_name,
            cover: self.cover_image.map(Into::into),
            tags: self.tags,
            audiences: self.audiences.into_iter().map(Into::into).collect(),
            media: self.media.into_iter().map(Into::into).collect(),
            publishers: self.publishers,
            categories: self.categories,
            neighborhoods: self.neighborhoods,
            related_events,
            related_places,
        })
        .after(unreadable)
    }
}

/// A change to an article: only the fields given change; `null` clears an optional one.
#[derive(InputObject, Default)]
#[graphql(name = "ArticlePatch")]
pub(crate) struct ArticlePatchInput {
    /// 1 to 200 characters. The slug does not follow the title.
    pub title: Option<String>,
    /// Up to 600 characters.
    pub summary: Option<String>,
    /// Up to 1,200 characters; null removes it.
    pub easy_read_summary: MaybeUndefined<String>,
    /// Markdown, up to 100,000 characters.
    pub body: Option<String>,
    /// The author's name; null removes it.
    pub author_name: MaybeUndefined<String>,
    /// The cover image; null removes it.
    pub cover_image: MaybeUndefined<ImageInput>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Replaces the audiences.
    pub audiences: Option<Vec<Audience>>,
    /// A new slug; the old one keeps leading to the article.
    pub slug: Option<String>,
    /// Replaces the publishers (slugs, one or two). The editor names only organizations
    /// they edit for; co-publishers they do not edit for stay.
    pub publishers: Option<Vec<String>>,
    /// Replaces the news categories (slugs of kind `ARTICLE`).
    pub categories: Option<Vec<String>>,
    /// Replaces the neighbourhoods (slugs).
    pub neighborhoods: Option<Vec<String>>,
    /// Replaces the related events (ids).
    pub related_events: Option<Vec<ID>>,
    /// Replaces the related places (ids).
    pub related_places: Option<Vec<ID>>,
    /// Replaces the media.
    pub media: Option<Vec<MediaInput>>,
}

impl ArticlePatchInput {
    /// The patch this input describes, with every field that failed.
    pub(crate) fn into_patch(self) -> Checked<draft::ArticlePatch> {
        let mut unreadable = FieldErrors::default();
        let related_events = self
            .related_events
            .map(|given| read(&mut unreadable, "relatedEvents", Kind::Event, &given));
        let related_places = self
            .related_places
            .map(|given| read(&mut unreadable, "relatedPlaces", Kind::Place, &given));
        draft::ArticlePatch::parse(ArticleChanges {
            title: self.title,
            summary: self.summary,
            easy_read_summary: optional(self.easy_read_summary),
            body: self.body,
            author_name: optional(self.author_name),
            cover: optional(self.cover_image).map(|c| c.map(Into::into)),
            tags: self.tags,
            audiences: self
                .audiences
                .map(|a| a.into_iter().map(Into::into).collect()),
            media: self.media.map(|m| m.into_iter().map(Into::into).collect()),
            slug: self.slug,
            publishers: self.publishers,
            categories: self.categories,
            neighborhoods: self.neighborhoods,
            related_events,
            related_places,
        })
        .after(unreadable)
    }
}

/// `Some(None)` for null, `None` for a field left out.
fn optional<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// Reads ids of one kind, noting each one that is not as `field[i]`.
fn read(errors: &mut FieldErrors, field: &str, kind: Kind, given: &[ID]) -> Vec<Uuid> {
    let mut ids = Vec::with_capacity(given.len());
    for (i, id) in given.iter().enumerate() {
        match ids::decode_as(kind, id) {
            Ok(uuid) => ids.push(uuid),
            Err(e) => errors.add(format!("{field}[{i}]"), e.message().to_owned()),
        }
    }
    ids
}
