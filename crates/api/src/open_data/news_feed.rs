//! The city's news as feeds: `/feeds/news.atom` (Atom 1.0) and `/feeds/news.rss` (RSS 2.0),
//! the latest published articles of the graph's `news` list for the same filter, in the
//! same order. Both formats are written from one [`NewsFeed`], so they always carry the
//! same entries; what differs is only how each format says it.
//!
//! An entry's body is the article's Markdown rendered and sanitised exactly as the graph's
//! `body(format: HTML)`: feed readers show it as HTML, so it carries no script, style or
//! event handler whatever its author typed.

use std::collections::HashMap;
use std::sync::Arc;

use atom_syndication as atom;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use capitole_domain::event::CategoryKind;
use capitole_persistence::entities::{article, category, organization};
use capitole_persistence::{Columns, articles, catalog};
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::OpenData;
use super::params::{NEWS_FILTER, QueryParams};
use super::respond::{Export, Freshness, export_error};
use super::translated::{self, Translated};
use crate::error::{ApiError, ErrorCode};
use crate::http::Peer;
use crate::ids::{self, Kind};
use crate::query::news::{NewsFilter, storage_filter};

/// How many articles a feed holds when the request does not say.
const DEFAULT_LIMIT: usize = 50;
/// The most articles a feed holds.
const MAX_LIMIT: usize = 100;

const ATOM_TYPE: &str = "application/atom+xml; charset=utf-8";
const RSS_TYPE: &str = "application/rss+xml; charset=utf-8";

/// The media type of an enclosure whose address does not tell it.
const UNKNOWN_MEDIA_TYPE: &str = "application/octet-stream";

/// `GET /feeds/news.atom`: the news as an Atom 1.0 feed.
pub(super) async fn atom_feed(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state.begin(peer, &headers, &uri, Freshness::Minute).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    match NewsFeed::read(&export, &uri).await {
        Ok(feed) => match feed.atom(export.state()) {
            Ok(body) => export.body(ATOM_TYPE, body, HeaderMap::new()).await,
            Err(error) => export_error(error),
        },
        Err(error) => export_error(error),
    }
}

/// `GET /feeds/news.rss`: the news as an RSS 2.0 feed.
pub(super) async fn rss_feed(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state.begin(peer, &headers, &uri, Freshness::Minute).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    match NewsFeed::read(&export, &uri).await {
        Ok(feed) => match feed.rss(export.state()) {
            Ok(body) => export.body(RSS_TYPE, body, HeaderMap::new()).await,
            Err(error) => export_error(error),
        },
        Err(error) => export_error(error),
    }
}

/// What both formats say: the feed's scope and its entries, latest first.
struct NewsFeed {
    title: String,
    /// The request's own absolute address, query included.
    self_link: String,
    /// The news page of the app, when the service knows the app.
    alternate: Option<String>,
    /// The newest change among the entries (the judged instant for an empty feed).
    updated: DateTime<FixedOffset>,
    entries: Vec<Entry>,
}

/// One article as a feed entry.
struct Entry {
    /// The article's stable address: its global id's JSON-LD document.
    id: String,
    title: String,
    /// Where residents read it.
    link: String,
    summary: String,
    /// The body as sanitised HTML.
    content: String,
    /// The names of its publishers, in the article's order.
    authors: Vec<String>,
    categories: Vec<Term>,
    published: DateTime<FixedOffset>,
    updated: DateTime<FixedOffset>,
    cover: Option<Cover>,
}

/// A news category or a tag, as a feed category.
struct Term {
    term: String,
    label: String,
    /// The address the term completes: the feed of that category or tag.
    scheme: String,
}

/// The cover image, as an enclosure.
struct Cover {
    url: String,
    media_type: String,
    alt: Option<String>,
}

impl NewsFeed {
    /// Reads the articles the request's filter and `limit` select, as anonymous callers of
    /// the graph see them, with their publishers and categories read for the whole page at
    /// once (the same statements for 2 articles as for 100).
    async fn read(export: &Export, uri: &Uri) -> Result<Self, ApiError> {
        let state = export.state();
        let scope = &export.scope;
        let params = QueryParams::parse(uri.query())?;
        let filter: NewsFilter = params.filter(NEWS_FILTER, &["limit"])?;
        let request = params.page(DEFAULT_LIMIT, MAX_LIMIT)?;
        let named = Scope::of(&filter);
        let storage = storage_filter(scope, filter).await?;
        let visibility = scope.principal.article_visibility(scope.now);
        let page = articles::list(&scope.db, &visibility, &storage, &request, Columns::ALL).await?;
        let mut rows: Vec<article::Model> = page.rows.into_iter().map(|(a, _)| a).collect();
        let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
        let language = translated::wanted(scope);
        let translated = Translated::of(&scope.db, language.as_ref(), ids.iter().copied()).await?;
        for article in &mut rows {
            translated.article(article);
        }
        let (mut publishers, mut categories) = if ids.is_empty() {
            (HashMap::new(), HashMap::new())
        } else {
            tokio::try_join!(
                articles::publishers_of(&scope.db, &ids),
                catalog::categories_of_articles(&scope.db, &ids),
            )?
        };
        let title = named.title(scope, &storage.publishers, state).await?;
        let timezone = scope.timezone;
        let entries: Vec<Entry> = rows
            .into_iter()
            .map(|a| {
                let publishers = publishers.remove(&a.id).unwrap_or_default();
                let categories = categories.remove(&a.id).unwrap_or_default();
                Entry::of(state, timezone, a, &publishers, &categories)
            })
            .collect();
        let updated = entries
            .iter()
            .map(|e| e.updated)
            .max()
            .unwrap_or_else(|| local(timezone, scope.now));
        let path_and_query = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), ToString::to_string);
        Ok(Self {
            title,
            self_link: state.link(&path_and_query),
            alternate: state
                .settings
                .app_url
                .as_ref()
                .map(|app| format!("{}/news", app.as_str().trim_end_matches('/'))),
            updated,
            entries,
        })
    }

    /// The feed in Atom 1.0.
    fn atom(&self, state: &OpenData) -> Result<Vec<u8>, ApiError> {
        let licence = &state.settings.licence;
        let mut links = vec![link("self", &self.self_link, Some(ATOM_MEDIA_TYPE))];
        if let Some(alternate) = &self.alternate {
            links.push(link("alternate", alternate, Some("text/html")));
        }
        links.push(link("license", licence.url.as_str(), None));
        let feed = atom::Feed {
            title: atom::Text::plain(&self.title),
            id: self.self_link.clone(),
            updated: self.updated,
            links,
            generator: Some(generator()),
            rights: Some(atom::Text::plain(&licence.name)),
            entries: self.entries.iter().map(|e| e.atom(state)).collect(),
            ..Default::default()
        };
        feed.write_to(Vec::new()).map_err(|error| {
            tracing::error!(%error, "an Atom feed could not be written");
            ApiError::new(ErrorCode::Internal, "the feed could not be written")
        })
    }

    /// The feed in RSS 2.0, with Atom's `self` and `license` links.
    fn rss(&self, state: &OpenData) -> Result<Vec<u8>, ApiError> {
        let licence = &state.settings.licence;
        let channel = rss::Channel {
            title: self.title.clone(),
            link: self
                .alternate
                .clone()
                .unwrap_or_else(|| self.self_link.clone()),
            description: self.title.clone(),
            copyright: Some(format!("{} ({})", licence.name, licence.url)),
            last_build_date: Some(self.updated.to_rfc2822()),
            pub_date: self.entries.first().map(|e| e.published.to_rfc2822()),
            generator: Some(generator().value),
            atom_ext: Some(rss::extension::atom::AtomExtension {
                links: vec![
                    link("self", &self.self_link, Some(RSS_MEDIA_TYPE)),
                    link("license", licence.url.as_str(), None),
                ],
            }),
            items: self.entries.iter().map(Entry::rss).collect(),
            ..Default::default()
        };
        channel.write_to(Vec::new()).map_err(|error| {
            tracing::error!(%error, "an RSS feed could not be written");
            ApiError::new(ErrorCode::Internal, "the feed could not be written")
        })
    }
}

const ATOM_MEDIA_TYPE: &str = "application/atom+xml";
const RSS_MEDIA_TYPE: &str = "application/rss+xml";

fn link(rel: &str, href: &str, media_type: Option<&str>) -> atom::Link {
    atom::Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: media_type.map(str::to_owned),
        ..Default::default()
    }
}

fn generator() -> atom::Generator {
    atom::Generator {
        value: "Capitole".to_owned(),
        uri: None,
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    }
}

/// An instant in the city's time, as feeds write it.
fn local(timezone: Tz, at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&timezone).fixed_offset()
}

impl Entry {
    fn of(
        state: &OpenData,
        timezone: Tz,
        article: article::Model,
        publishers: &[organization::Model],
        categories: &[category::Model],
    ) -> Self {
        let global_id = ids::encode(Kind::NewsArticle, article.id);
        let published = article.published_at.unwrap_or(article.updated_at);
        // A scheduled article comes out after its last edit: it changed for its readers
        // when it appeared.
        let updated = article.updated_at.max(published);
        let category_scheme = state.link("/feeds/news.atom?category=");
        let tag_scheme = state.link("/feeds/news.atom?tag=");
        let mut terms: Vec<Term> = categories
            .iter()
            .map(|c| Term {
                term: c.slug.clone(),
                label: c.name.clone(),
                scheme: category_scheme.clone(),
            })
            .collect();
        terms.extend(
            capitole_domain::text::decode_codes(&article.tags).map(|tag| Term {
                term: tag.to_owned(),
                label: tag.to_owned(),
                scheme: tag_scheme.clone(),
            }),
        );
        let cover = article.cover_url.as_ref().map(|url| Cover {
            media_type: media_type_of(url),
            url: url.clone(),
            alt: article.cover_alt.clone(),
        });
        Self {
            id: state.link(&format!("/items/{}.jsonld", global_id.as_str())),
            link: state.item_page("news", &article.slug, global_id.as_str()),
            content: crate::text::to_html(&article.body),
            authors: publishers.iter().map(|p| p.name.clone()).collect(),
            categories: terms,
            published: local(timezone, published),
            updated: local(timezone, updated),
            cover,
            title: article.title,
            summary: article.summary,
        }
    }

    fn atom(&self, state: &OpenData) -> atom::Entry {
        let page_type = if state.settings.app_url.is_some() {
            "text/html"
        } else {
            "application/ld+json"
        };
        let mut links = vec![link("alternate", &self.link, Some(page_type))];
        if let Some(cover) = &self.cover {
            // The size of a cover is not known without fetching it: Atom lets it be left out.
            links.push(atom::Link {
                title: cover.alt.clone(),
                ..link("enclosure", &cover.url, Some(&cover.media_type))
            });
        }
        atom::Entry {
            title: atom::Text::plain(&self.title),
            id: self.id.clone(),
            updated: self.updated,
            authors: self
                .authors
                .iter()
                .map(|name| atom::Person {
                    name: name.clone(),
                    ..Default::default()
                })
                .collect(),
            categories: self
                .categories
                .iter()
                .map(|t| atom::Category {
                    term: t.term.clone(),
                    scheme: Some(t.scheme.clone()),
                    label: Some(t.label.clone()),
                })
                .collect(),
            links,
            published: Some(self.published),
            summary: Some(atom::Text::plain(&self.summary)),
            content: Some(atom::Content {
                value: Some(self.content.clone()),
                content_type: Some("html".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn rss(&self) -> rss::Item {
        rss::Item {
            title: Some(self.title.clone()),
            link: Some(self.link.clone()),
            description: Some(self.summary.clone()),
            // RSS's own `author` is an email address: the publishers are named with Dublin
            // Core's `creator`, as feed readers expect.
            dublin_core_ext: (!self.authors.is_empty()).then(|| {
                rss::extension::dublincore::DublinCoreExtension {
                    creators: self.authors.clone(),
                    ..Default::default()
                }
            }),
            categories: self
                .categories
                .iter()
                .map(|t| rss::Category {
                    name: t.label.clone(),
                    domain: Some(t.scheme.clone()),
                })
                .collect(),
            // RSS requires a length; the size of a cover is not known without fetching it,
            // and 0 is the usual way to say so.
            enclosure: self.cover.as_ref().map(|cover| rss::Enclosure {
                url: cover.url.clone(),
                length: "0".to_owned(),
                mime_type: cover.media_type.clone(),
            }),
            guid: Some(rss::Guid {
                value: self.id.clone(),
                permalink: false,
            }),
            pub_date: Some(self.published.to_rfc2822()),
            content: Some(self.content.clone()),
            ..Default::default()
        }
    }
}

/// The media type an address's extension suggests (`image/jpeg` for `….jpg`), or
/// `application/octet-stream` when it suggests none.
fn media_type_of(address: &str) -> String {
    let path = url::Url::parse(address)
        .map(|url| url.path().to_owned())
        .unwrap_or_else(|_| address.to_owned());
    mime_guess::from_path(path)
        .first()
        .map_or_else(|| UNKNOWN_MEDIA_TYPE.to_owned(), |mime| mime.to_string())
}

/// What a request's filter narrows the news to, in words, for the feed's title.
struct Scope {
    categories: Vec<String>,
    audiences: Vec<String>,
    neighborhoods: Vec<String>,
    tags: Vec<String>,
    search: Option<String>,
}

impl Scope {
    fn of(filter: &NewsFilter) -> Self {
        Self {
            categories: filter.categories.clone().unwrap_or_default(),
            audiences: filter
                .audiences
                .iter()
                .flatten()
                .map(|a| {
                    capitole_domain::Audience::from(*a)
                        .code()
                        .to_lowercase()
                        .replace('_', " ")
                })
                .collect(),
            neighborhoods: filter.neighborhoods.clone().unwrap_or_default(),
            tags: filter.tags.clone().unwrap_or_default(),
            search: filter.search.clone().filter(|s| !s.trim().is_empty()),
        }
    }

    /// "Toulouse Métropole: news (Culture; for families; tagged vélo)": the publishers'
    /// names (or the service's publisher's), then the other filters, categories and
    /// neighbourhoods by name.
    async fn title(
        &self,
        scope: &crate::context::RequestScope,
        publishers: &[Uuid],
        state: &OpenData,
    ) -> Result<String, ApiError> {
        let who = if publishers.is_empty() {
            state.settings.publisher.clone()
        } else {
            let organizations = catalog::organizations_by_ids(&scope.db, publishers).await?;
            let names: Vec<String> = publishers
                .iter()
                .filter_map(|id| organizations.iter().find(|o| o.id == *id))
                .map(|o| o.name.clone())
                .collect();
            names.join(" & ")
        };
        let mut parts = Vec::new();
        if !self.categories.is_empty() {
            let known = catalog::categories(&scope.db, Some(CategoryKind::Article)).await?;
            parts.push(names_of(
                &self.categories,
                known.iter().map(|c| (&c.slug, &c.name)),
            ));
        }
        if !self.audiences.is_empty() {
            parts.push(format!("for {}", self.audiences.join(", ")));
        }
        if !self.neighborhoods.is_empty() {
            let known = catalog::neighborhoods(&scope.db).await?;
            parts.push(format!(
                "in {}",
                names_of(
                    &self.neighborhoods,
                    known.iter().map(|n| (&n.slug, &n.name))
                )
            ));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tagged {}", self.tags.join(", ")));
        }
        if let Some(search) = &self.search {
            parts.push(format!("matching “{}”", search.trim()));
        }
        Ok(if parts.is_empty() {
            format!("{who}: news")
        } else {
            format!("{who}: news ({})", parts.join("; "))
        })
    }
}

/// The names of the slugs, in the order given (a slug the filter already checked).
fn names_of<'a>(
    slugs: &[String],
    known: impl Iterator<Item = (&'a String, &'a String)> + Clone,
) -> String {
    slugs
        .iter()
        .map(|slug| {
            known
                .clone()
                .find(|(s, _)| *s == slug)
                .map_or_else(|| slug.clone(), |(_, name)| name.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enclosure_type_is_guessed_from_the_address_or_left_unknown() {
        assert_eq!(
            media_type_of("https://www.toulouse.fr/documents/20126/0/marche.jpg"),
            "image/jpeg"
        );
        assert_eq!(
            media_type_of("https://example.org/photo.PNG?size=large#top"),
            "image/png"
        );
        assert_eq!(
            media_type_of("https://example.org/photos/1234"),
            UNKNOWN_MEDIA_TYPE
        );
    }
}
