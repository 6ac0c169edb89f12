//! Open formats of the graph, for re-users who do not write GraphQL: feeds, calendars, maps,
//! tables, linked data and the catalogue that lists them. They read the graph's public
//! data through the same filters, visibility and order as anonymous GraphQL callers, carry
//! the data's licence, answer conditional requests from the change log, and are charged to
//! their caller's budget by size.

mod calendar;
pub(crate) mod catalog;
pub(crate) mod jsonld;
mod kept;
mod maps;
mod news_feed;
pub(crate) mod params;
mod records;
pub(crate) mod respond;
mod tables;
mod translated;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use url::Url;

use crate::context::ApiContext;
use crate::http::TrustedProxies;
use crate::http::graphql::identify::Identifier;
use crate::rate_limit::RateLimiter;
use kept::KeptAnswers;

/// The licence open data is published under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    /// Its name (`Licence Ouverte / Open Licence 2.0`).
    pub name: String,
    /// Its text's address.
    pub url: Url,
}

impl Default for Licence {
    fn default() -> Self {
        Self {
            name: "Licence Ouverte / Open Licence 2.0".to_owned(),
            url: Url::parse("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
                .unwrap_or_else(|_| unreachable!("a valid constant URL")),
        }
    }
}

/// What the open formats say about where they live and whose they are.
#[derive(Debug, Clone)]
pub struct OpenDataSettings {
    /// The address clients reach Capitole at (`https://api.toulouse.fr`), for the absolute
    /// links of feeds, calendars and the catalogue. Without it, `http://` and the listening
    /// address.
    pub public_url: Option<Url>,
    /// The app that shows items to residents (`https://m.toulouse.fr`): items link to
    /// `/news/{slug}`, `/events/{slug}` and `/places/{slug}` under it. Without it, items link
    /// to their JSON-LD document.
    pub app_url: Option<Url>,
    /// The licence of the data.
    pub licence: Licence,
    /// Who publishes the catalogue (the city).
    pub publisher: String,
    /// The memory, in bytes, given to answers kept for the next request with the same
    /// validator; `0` keeps none.
    pub kept_bytes: u64,
}

impl Default for OpenDataSettings {
    fn default() -> Self {
        Self {
            public_url: None,
            app_url: None,
            licence: Licence::default(),
            publisher: "Capitole".to_owned(),
            kept_bytes: 32 << 20,
        }
    }
}

/// What every export handler shares, behind one `Arc`.
pub(crate) struct OpenData {
    pub api: ApiContext,
    /// The base of absolute links, ending without a slash.
    pub base: String,
    pub settings: OpenDataSettings,
    pub identifier: Identifier,
    pub limiter: RateLimiter,
    pub proxies: TrustedProxies,
    /// Answers kept by validator.
    kept: KeptAnswers,
}

impl OpenData {
    pub(crate) fn new(
        api: ApiContext,
        settings: OpenDataSettings,
        listen: std::net::SocketAddr,
        limiter: RateLimiter,
        proxies: TrustedProxies,
    ) -> Self {
        let base = settings.public_url.as_ref().map_or_else(
            || format!("http://{listen}"),
            |url| url.as_str().trim_end_matches('/').to_owned(),
        );
        Self {
            identifier: Identifier::new(&api, limiter.clone()),
            kept: KeptAnswers::new(settings.kept_bytes, kept::turns_per_machine()),
            api,
            base,
            settings,
            limiter,
            proxies,
        }
    }

    /// The absolute address of a path of this service (`/feeds/news.atom`).
    pub(crate) fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Where residents see an item: its page in the app, or else its JSON-LD document.
    /// `section` is `news`, `events` or `places`.
    pub(crate) fn item_page(&self, section: &str, slug: &str, global_id: &str) -> String {
        match &self.settings.app_url {
            Some(app) => format!("{}/{section}/{slug}", app.as_str().trim_end_matches('/')),
            None => self.link(&format!("/items/{global_id}.jsonld")),
        }
    }
}

/// The routes of the open formats.
pub(crate) fn routes(state: Arc<OpenData>) -> Router {
    Router::new()
        .route("/data/places.geojson", get(maps::places))
        .route("/data/events.geojson", get(maps::events))
        .route("/data/places.csv", get(tables::places))
        .route("/data/events.csv", get(tables::events))
        .route("/data/news.csv", get(tables::news))
        .route("/feeds/events.ics", get(calendar::agenda))
        .route("/events/{file}", get(calendar::one))
        .route("/feeds/news.atom", get(news_feed::atom_feed))
        .route("/feeds/news.rss", get(news_feed::rss_feed))
        .route("/items/{file}", get(jsonld::item))
        .route("/data/catalog.jsonld", get(catalog::catalog))
        .with_state(state)
}
