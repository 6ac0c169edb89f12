//! An article as an editor writes it: a new article ([`ArticleDraft`]) or a change to one
//! ([`ArticlePatch`]), each made only by parsing the plain values an editor gave
//! ([`NewArticle`], [`ArticleChanges`]). Parsing applies every rule of an article's content
//! (the lengths of its texts, its tags, audiences, cover image and media, its slug, how many
//! items each list takes) and names each failed field by its path in the input. Whether a
//! slug names an organization or an id names an event only storage can say: the articles
//! service checks those names and adds its failures to the same list.

use uuid::Uuid;

use crate::editorial::{
    Checked, FieldErrors, Lines, check_count, check_easy_read_summary, check_optional_text,
    check_tags, check_text, check_url, limits,
};
use crate::media::{Media, MediaInput, check_media_list};
use crate::{Audience, Slug};

/// The most publishers one article, event or place has: the city and the metropolitan
/// authority may co-publish it.
pub const MAX_PUBLISHERS: usize = 2;

/// A cover image as an editor gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverInput {
    /// Its address.
    pub url: String,
    /// What it shows, for people who cannot see it.
    pub alt: String,
    /// Who made it.
    pub credit: Option<String>,
}

/// An article's cover image: an https address, a text alternative (required, as for any
/// image attached to news) and an optional credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    /// Its https address.
    pub url: String,
    /// What it shows.
    pub alt: String,
    /// Who made it.
    pub credit: Option<String>,
}

impl Cover {
    fn parse(errors: &mut FieldErrors, input: &CoverInput) -> Self {
        Self {
            url: check_url(errors, "coverImage.url", &input.url),
            alt: check_text(
                errors,
                "coverImage.alt",
                &input.alt,
                1,
                Media::MAX_ALT_CHARS,
                Lines::Single,
            ),
            credit: check_optional_text(
                errors,
                "coverImage.credit",
                input.credit.as_deref(),
                Media::MAX_CREDIT_CHARS,
                Lines::Single,
            ),
        }
    }
}

/// A new article as an editor gives it.
#[derive(Debug, Clone, Default)]
pub struct NewArticle {
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// Its easy-to-read summary.
    pub easy_read_summary: Option<String>,
    /// Its body (Markdown).
    pub body: String,
    /// The author's name as shown.
    pub author_name: Option<String>,
    /// Its cover image.
    pub cover: Option<CoverInput>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Who it is meant for.
    pub audiences: Vec<Audience>,
    /// Its photos, videos and albums.
    pub media: Vec<MediaInput>,
    /// Its publishers' slugs; `None` for the organizations the editor edits for.
    pub publishers: Option<Vec<String>>,
    /// Slugs of its categories of news.
    pub categories: Vec<String>,
    /// Slugs of the neighbourhoods it concerns.
    pub neighborhoods: Vec<String>,
    /// Ids of the events it is about.
    pub related_events: Vec<Uuid>,
    /// Ids of the places it is about.
    pub related_places: Vec<Uuid>,
}

/// A change to an article as an editor gives it: `None` leaves a field as it is, and
/// `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    /// A new title (the slug does not follow it).
    pub title: Option<String>,
    /// A new summary.
    pub summary: Option<String>,
    /// A new easy-to-read summary, or none.
    pub easy_read_summary: Option<Option<String>>,
    /// A new body.
    pub body: Option<String>,
    /// A new author's name, or none.
    pub author_name: Option<Option<String>>,
    /// A new cover image, or none.
    pub cover: Option<Option<CoverInput>>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New audiences.
    pub audiences: Option<Vec<Audience>>,
    /// New media.
    pub media: Option<Vec<MediaInput>>,
    /// A new slug.
    pub slug: Option<String>,
    /// New publishers (slugs).
    pub publishers: Option<Vec<String>>,
    /// New categories of news (slugs).
    pub categories: Option<Vec<String>>,
    /// New neighbourhoods (slugs).
    pub neighborhoods: Option<Vec<String>>,
    /// New related events (ids).
    pub related_events: Option<Vec<Uuid>>,
    /// New related places (ids).
    pub related_places: Option<Vec<Uuid>>,
}

/// What an article says and shows, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleContent {
    /// 1 to [`limits::TITLE`] characters on one line.
    pub title: String,
    /// Up to [`limits::SUMMARY`] characters.
    pub summary: String,
    /// Up to [`limits::EASY_READ_SUMMARY`] characters.
    pub easy_read_summary: Option<String>,
    /// Markdown, up to [`limits::BODY`] characters.
    pub body: String,
    /// Up to [`limits::AUTHOR`] characters on one line.
    pub author_name: Option<String>,
    /// The cover image.
    pub cover: Option<Cover>,
    /// Lowercase tags, each once.
    pub tags: Vec<String>,
    /// Who it is meant for, each once.
    pub audiences: Vec<Audience>,
    /// Photos, videos and albums, normalised.
    pub media: Vec<Media>,
}

impl ArticleContent {
    /// The slug a new article takes from its title (the first free one of its kind is
    /// kept).
    pub fn slug(&self) -> Slug {
        Slug::from_title(&self.title)
    }
}

/// A change to what an article says and shows, checked: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentPatch {
    /// A new title.
    pub title: Option<String>,
    /// A new summary.
    pub summary: Option<String>,
    /// A new easy-to-read summary, or none.
    pub easy_read_summary: Option<Option<String>>,
    /// A new body.
    pub body: Option<String>,
    /// A new author's name, or none.
    pub author_name: Option<Option<String>>,
    /// A new cover, or none.
    pub cover: Option<Option<Cover>>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New audiences.
    pub audiences: Option<Vec<Audience>>,
    /// New media.
    pub media: Option<Vec<Media>>,
    /// A new slug; the old one keeps leading to the article.
    pub slug: Option<Slug>,
}

/// What an article links to, as the editor named it: publishers, categories and
/// neighbourhoods by slug, events and places by id, each list within its limit. `None` leaves a list as it
/// is; in a new article, `publishers: None` stands for the editor's own organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkNames {
    /// Publishers' slugs (at most [`MAX_PUBLISHERS`]).
    pub publishers: Option<Vec<String>>,
    /// Categories' slugs, of news categories (at most [`limits::LINKS`]).
    pub categories: Option<Vec<String>>,
    /// Neighbourhoods' slugs (at most [`limits::LINKS`]).
    pub neighborhoods: Option<Vec<String>>,
    /// Events' ids (at most [`limits::LINKS`]).
    pub events: Option<Vec<Uuid>>,
    /// Places' ids (at most [`limits::LINKS`]).
    pub places: Option<Vec<Uuid>>,
}

/// What an article links to, by id, each once, as storage keeps it: publishers in order
/// (the first is the one the change log names), categories in order, neighbourhoods, events
/// and places. `None`
/// leaves a list as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkIds {
    /// Its publishers, in order.
    pub publishers: Option<Vec<Uuid>>,
    /// Its categories, in order.
    pub categories: Option<Vec<Uuid>>,
    /// The neighbourhoods it concerns.
    pub neighborhoods: Option<Vec<Uuid>>,
    /// The events it is about.
    pub events: Option<Vec<Uuid>>,
    /// The places it is about.
    pub places: Option<Vec<Uuid>>,
}

/// A new article, checked: its content, and the names of what it links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleDraft {
    /// What it says and shows.
    pub content: ArticleContent,
    /// What it links to.
    pub links: LinkNames,
}

impl ArticleDraft {
    /// Checks a new article, noting every failed field by its path in the input.
    pub fn parse(input: NewArticle) -> Checked<ArticleDraft> {
        let mut errors = FieldErrors::default();
        let publishers = input
            .publishers
            .map(|o| bounded(&mut errors, "publishers", o, MAX_PUBLISHERS));
        let content = ArticleContent {
            title: title(&mut errors, &input.title),
            summary: summary(&mut errors, &input.summary),
            easy_read_summary: check_easy_read_summary(
                &mut errors,
                input.easy_read_summary.as_deref(),
            ),
            body: body(&mut errors, &input.body),
            author_name: author_name(&mut errors, input.author_name.as_deref()),
            cover: input.cover.map(|c| Cover::parse(&mut errors, &c)),
            tags: check_tags(&mut errors, "tags", &input.tags),
            audiences: audiences(&mut errors, input.audiences),
            media: check_media_list(&mut errors, input.media),
        };
        let links = LinkNames {
            publishers,
            categories: Some(links(&mut errors, "categories", input.categories)),
            neighborhoods: Some(links(&mut errors, "neighborhoods", input.neighborhoods)),
            events: Some(links(&mut errors, "relatedEvents", input.related_events)),
            places: Some(links(&mut errors, "relatedPlaces", input.related_places)),
        };
        Checked::new(ArticleDraft { content, links }, errors)
    }
}

/// A change to an article, checked: the change to its content, and the names of what it
/// links to from now on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticlePatch {
    /// What changes in what it says and shows.
    pub content: ContentPatch,
    /// The lists of links it replaces.
    pub links: LinkNames,
}

impl ArticlePatch {
    /// Checks a change to an article, noting every failed field by its path in the input.
    pub fn parse(input: ArticleChanges) -> Checked<ArticlePatch> {
        let mut errors = FieldErrors::default();
        let content = ContentPatch {
            title: input.title.map(|t| title(&mut errors, &t)),
            summary: input.summary.map(|s| summary(&mut errors, &s)),
            easy_read_summary: input
                .easy_read_summary
                .map(|s| check_easy_read_summary(&mut errors, s.as_deref())),
            body: input.body.map(|b| body(&mut errors, &b)),
            author_name: input
                .author_name
                .map(|a| author_name(&mut errors, a.as_deref())),
            cover: input
                .cover
                .map(|c| c.map(|c| Cover::parse(&mut errors, &c))),
            tags: input.tags.map(|t| check_tags(&mut errors, "tags", &t)),
            audiences: input.audiences.map(|a| audiences(&mut errors, a)),
            media: input.media.map(|m| check_media_list(&mut errors, m)),
            slug: input.slug.and_then(|raw| match Slug::parse(&raw) {
                Ok(slug) => Some(slug),
                Err(e) => {
                    errors.add("slug", e.to_string());
                    None
                }
            }),
        };
        let links = LinkNames {
            publishers: input
                .publishers
                .map(|o| bounded(&mut errors, "publishers", o, MAX_PUBLISHERS)),
            categories: input
                .categories
                .map(|c| links(&mut errors, "categories", c)),
            neighborhoods: input
                .neighborhoods
                .map(|n| links(&mut errors, "neighborhoods", n)),
            events: input
                .related_events
                .map(|e| links(&mut errors, "relatedEvents", e)),
            places: input
                .related_places
                .map(|p| links(&mut errors, "relatedPlaces", p)),
        };
        Checked::new(ArticlePatch { content, links }, errors)
    }
}

fn title(errors: &mut FieldErrors, text: &str) -> String {
    check_text(errors, "title", text, 1, limits::TITLE, Lines::Single)
}

fn summary(errors: &mut FieldErrors, text: &str) -> String {
    check_text(errors, "summary", text, 0, limits::SUMMARY, Lines::Multiple)
}

fn body(errors: &mut FieldErrors, text: &str) -> String {
    check_text(errors, "body", text, 0, limits::BODY, Lines::Multiple)
}

fn author_name(errors: &mut FieldErrors, text: Option<&str>) -> Option<String> {
    check_optional_text(errors, "authorName", text, limits::AUTHOR, Lines::Single)
}

/// Audiences, each once; there are only so many.
fn audiences(errors: &mut FieldErrors, given: Vec<Audience>) -> Vec<Audience> {
    let given = bounded(errors, "audiences", given, Audience::ALL.len());
    let mut unique = Vec::with_capacity(given.len());
    for audience in given {
        if !unique.contains(&audience) {
            unique.push(audience);
        }
    }
    unique
}

/// Names of linked items, at most [`limits::LINKS`].
fn links<T>(errors: &mut FieldErrors, field: &str, given: Vec<T>) -> Vec<T> {
    bounded(errors, field, given, limits::LINKS)
}

/// A list within `max` items, or empty (the failure noted) when it is longer: its items
/// are not looked at.
fn bounded<T>(errors: &mut FieldErrors, field: &str, given: Vec<T>, max: usize) -> Vec<T> {
    if check_count(errors, field, given.len(), max) {
        given
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fields<T>(checked: Checked<T>) -> Vec<String> {
        match checked.into_result() {
            Ok(_) => Vec::new(),
            Err(errors) => errors.fields().iter().map(|e| e.field.clone()).collect(),
        }
    }

    #[test]
    fn a_new_article_is_trimmed_and_normalised() {
        let draft = ArticleDraft::parse(NewArticle {
            title: "  Fête de la Musique ".into(),
            summary: "Dans toute la ville.\n".into(),
            easy_read_summary: Some("   ".into()),
            tags: vec!["Musique".into(), "musique".into()],
            audiences: vec![Audience::Families, Audience::Youth, Audience::Families],
            cover: Some(CoverInput {
                url: "https://www.toulouse.fr/fete.jpg".into(),
                alt: " La scène du Capitole ".into(),
                credit: Some(String::new()),
            }),
            media: vec![MediaInput {
                url: "https://youtu.be/dQw4w9WgXcQ".into(),
                ..MediaInput::default()
            }],
            ..NewArticle::default()
        })
        .into_result()
        .unwrap();
        let content = &draft.content;
        assert_eq!(content.title, "Fête de la Musique");
        assert_eq!(content.summary, "Dans toute la ville.");
        assert_eq!(content.easy_read_summary, None, "blank counts as absent");
        assert_eq!(content.tags, ["musique"]);
        assert_eq!(content.audiences, [Audience::Families, Audience::Youth]);
        let cover = content.cover.as_ref().unwrap();
        assert_eq!(
            (cover.alt.as_str(), cover.credit.as_ref()),
            ("La scène du Capitole", None)
        );
        assert_eq!(
            content.media[0].embed_url.as_deref(),
            Some("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
        );
        assert_eq!(content.slug().as_str(), "fete-de-la-musique");
        assert_eq!(draft.links.publishers, None, "the editor's own");
        assert_eq!(draft.links.events, Some(Vec::new()));
    }

    #[test]
    fn every_failed_field_of_a_new_article_is_named_at_once() {
        let checked = ArticleDraft::parse(NewArticle {
            title: "x".repeat(20_000),
            summary: "nul \u{0} byte".into(),
            author_name: Some("a\nb".into()),
            tags: (0..30).map(|i| format!("tag{i}")).collect(),
            cover: Some(CoverInput {
                url: "http://insecure.example/image.jpg".into(),
                alt: String::new(),
                credit: Some("c".repeat(201)),
            }),
            media: vec![MediaInput {
                url: "https://www.toulouse.fr/photo.jpg".into(),
                ..MediaInput::default()
            }],
            publishers: Some(vec!["a".into(), "b".into(), "c".into()]),
            neighborhoods: vec![String::new(); 21],
            related_events: vec![Uuid::nil(); 21],
            related_places: vec![Uuid::nil(); 21],
            ..NewArticle::default()
        });
        assert!(checked.failed("coverImage"));
        assert_eq!(
            fields(checked),
            [
                "publishers",
                "title",
                "summary",
                "authorName",
                "coverImage.url",
                "coverImage.alt",
                "coverImage.credit",
                "tags",
                "media[0]",
                "neighborhoods",
                "relatedEvents",
                "relatedPlaces",
            ]
        );
    }

    #[test]
    fn lists_over_their_limit_are_refused_whole() {
        let checked = ArticleDraft::parse(NewArticle {
            title: "Assez".into(),
            audiences: Audience::ALL.iter().chain(Audience::ALL).copied().collect(),
            media: vec![MediaInput::default(); 31],
            ..NewArticle::default()
        });
        assert!(checked.value().content.media.is_empty());
        let errors = checked.into_result().unwrap_err();
        let messages: Vec<(&str, &str)> = errors
            .fields()
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                ("audiences", "takes at most 7 items (got 14)"),
                ("media", "takes at most 30 items (got 31)"),
            ]
        );
    }

    #[test]
    fn a_patch_checks_only_what_it_changes_and_clears_what_is_null() {
        let patch = ArticlePatch::parse(ArticleChanges {
            summary: Some(" Nouveau résumé ".into()),
            easy_read_summary: Some(None),
            cover: Some(None),
            slug: Some("fete-de-la-musique".into()),
            related_places: Some(vec![Uuid::nil()]),
            ..ArticleChanges::default()
        })
        .into_result()
        .unwrap();
        assert_eq!(patch.content.title, None);
        assert_eq!(patch.content.summary.as_deref(), Some("Nouveau résumé"));
        assert_eq!(patch.content.easy_read_summary, Some(None));
        assert_eq!(patch.content.cover, Some(None));
        assert_eq!(
            patch.content.slug.as_ref().map(Slug::as_str),
            Some("fete-de-la-musique")
        );
        assert_eq!(patch.links.places, Some(vec![Uuid::nil()]));
        assert_eq!(patch.links.publishers, None);

        let refused = ArticlePatch::parse(ArticleChanges {
            title: Some("   ".into()),
            slug: Some("Pas un slug".into()),
            publishers: Some(vec!["a".into(); 3]),
            ..ArticleChanges::default()
        });
        assert_eq!(fields(refused), ["title", "slug", "publishers"]);
    }
}
