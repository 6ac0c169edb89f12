//! News articles of the city's publishers.

use async_graphql::{Context, Enum, ID, Json, Object, SimpleObject};
use capitole_domain::article::ArticleStatus as DomainStatus;
use capitole_domain::translation::TranslatedField as Field;
use capitole_persistence::entities::article;
use chrono::{DateTime, Utc};

use super::catalog::{Category, Neighborhood, Organization};
use super::connection::{CountQuery, connection, edges, page_request};
use super::event::Event;
use super::media::{Media, media_of};
use super::place::Place;
use super::scalars::Url;
use super::translation::{Translation, localized, translations_of};
use super::{Audience, TextFormat, audiences_of};
use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{
    CategoriesOfArticle, EventId, EventsOfArticle, NeighborhoodId, NeighborhoodsOfArticle, PlaceId,
    PlacesOfArticle, PublishersOfArticle, SocialPostPage,
};
use crate::open_data::jsonld;
use uuid::Uuid;

/// Where an article stands in its publication.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::article::ArticleStatus")]
pub(crate) enum ArticleStatus {
    /// Being written; only its editors see it.
    Draft,
    /// To be published at its `publishedAt`.
    Scheduled,
    /// Public.
    Published,
    /// Public but out of date.
    Archived,
}

/// An image with its text alternative.
#[derive(SimpleObject, Clone)]
pub(crate) struct Image {
    /// Where the image is.
    pub url: Url,
    /// What it shows, for people who cannot see it.
    pub alt: Option<String>,
    /// Who made it.
    pub credit: Option<String>,
}

/// A social network.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::social::Network")]
pub(crate) enum Network {
    /// Facebook.
    Facebook,
    /// X, formerly Twitter.
    X,
    /// Instagram.
    Instagram,
    /// Dailymotion.
    Dailymotion,
    /// Flickr.
    Flickr,
    /// Scoop.it.
    Scoopit,
    /// Foursquare.
    Foursquare,
    /// YouTube.
    Youtube,
    /// LinkedIn.
    Linkedin,
    /// Mastodon, on any instance.
    Mastodon,
}

/// A post on a social network that announced an item.
#[derive(Clone)]
pub(crate) struct SocialPost(pub capitole_persistence::entities::social_post::Model);

/// A post on a social network that announced an item.
#[async_graphql::Object]
impl SocialPost {
    /// The record's id (to remove it).
    async fn id(&self) -> ID {
        ids::encode(Kind::SocialPost, self.0.id)
    }
    /// The network.
    async fn network(&self) -> Option<Network> {
        capitole_domain::social::Network::from_code(&self.0.network).map(Into::into)
    }
    /// The post's address.
    async fn url(&self) -> Url {
        Url(self.0.url.clone())
    }
    /// When it was posted.
    async fn posted_at(&self) -> DateTime<Utc> {
        self.0.posted_at
    }
}

/// A news article.
#[derive(Clone)]
pub(crate) struct NewsArticle(pub article::Model);

impl NewsArticle {
    /// The text of `field` in the language asked, and that language.
    async fn text(
        &self,
        ctx: &Context<'_>,
        field: Field,
        language: Option<String>,
    ) -> ApiResult<(String, String)> {
        let original = match field {
            Field::Title => &self.0.title,
            Field::Summary => &self.0.summary,
            Field::Body => &self.0.body,
            _ => self.0.easy_read_summary.as_deref().unwrap_or_default(),
        };
        localized(ctx, self.0.id, field, original, language).await
    }
}

/// A news article.
#[Object(cache_control(max_age = 60))]
impl NewsArticle {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::NewsArticle, self.0.id)
    }
    /// The article as linked data: a schema.org `NewsArticle` in JSON-LD (headline, dates in
    /// city time, publishers, images, keywords, licence), the same document as
    /// `/items/{id}.jsonld`. See docs/open-data.md#linked-data.
    async fn json_ld(&self, ctx: &Context<'_>) -> ApiResult<Json<serde_json::Value>> {
        let (state, scope) = jsonld::graph_context(ctx)?;
        jsonld::article(state, scope, &self.0)
            .await
            .map(Json)
            .map_err(to_gql)
    }
    /// Human identifier in URLs.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Title, in the language asked when it is translated (see `titleLanguage`).
    async fn title(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Title, language).await?.0)
    }
    /// The language `title` is given in.
    async fn title_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Title, language).await?.1)
    }
    /// One or two sentences, in the language asked when it is translated.
    async fn summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Summary, language).await?.0)
    }
    /// The language `summary` is given in.
    async fn summary_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Summary, language).await?.1)
    }
    /// The summary in easy-to-read language, when written, in the language asked when it is
    /// translated.
    async fn easy_read_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<Option<String>> {
        let (text, _) = self.text(ctx, Field::EasyReadSummary, language).await?;
        Ok(Some(text).filter(|t| !t.is_empty()))
    }
    /// The article's text, in the language asked when it is translated (in plain text
    /// instead of Markdown when the request asks to save data, `Save-Data: on`).
    async fn body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How to serve the text.", default)] format: TextFormat,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        let (text, _) = self.text(ctx, Field::Body, language).await?;
        Ok(format.render_for(ctx, &text))
    }
    /// The language `body` is given in.
    async fn body_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Body, language).await?.1)
    }
    /// Its texts in the city's other languages, each marked stale when its original changed
    /// since it was written.
    async fn translations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Translation>> {
        let originals = [
            (Field::Title, self.0.title.as_str()),
            (Field::Summary, self.0.summary.as_str()),
            (Field::Body, self.0.body.as_str()),
            (
                Field::EasyReadSummary,
                self.0.easy_read_summary.as_deref().unwrap_or_default(),
            ),
        ];
        translations_of(ctx, self.0.id, &originals).await
    }
    /// The cover image.
    async fn cover_image(&self) -> Option<Image> {
        self.0.cover_url.as_ref().map(|url| Image {
            url: Url(url.clone()),
            alt: self.0.cover_alt.clone(),
            credit: self.0.cover_credit.clone(),
        })
    }
    /// Photos, videos and albums.
    async fn media(&self) -> Vec<Media> {
        media_of(&self.0.media)
    }
    /// Tags.
    async fn tags(&self) -> Vec<String> {
        capitole_domain::text::decode_codes(&self.0.tags)
            .map(str::to_owned)
            .collect()
    }
    /// Who it is meant for.
    async fn audiences(&self) -> Vec<Audience> {
        audiences_of(&self.0.audiences)
    }
    /// The neighbourhoods it concerns.
    async fn neighborhoods(&self, ctx: &Context<'_>) -> ApiResult<Vec<Neighborhood>> {
        let scope = scope(ctx)?;
        let ids = scope
            .load(NeighborhoodsOfArticle(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(scope
            .load_all(ids.into_iter().map(NeighborhoodId).collect())
            .await?
            .into_iter()
            .map(Neighborhood)
            .collect())
    }
    /// Its categories of news, in the editor's order.
    async fn categories(&self, ctx: &Context<'_>) -> ApiResult<Vec<Category>> {
        let categories = scope(ctx)?.load(CategoriesOfArticle(self.0.id)).await?;
        Ok(categories
            .unwrap_or_default()
            .into_iter()
            .map(Category)
            .collect())
    }
    /// Who publishes it: one publisher or both.
    async fn publishers(&self, ctx: &Context<'_>) -> ApiResult<Vec<Organization>> {
        let publishers = scope(ctx)?.load(PublishersOfArticle(self.0.id)).await?;
        Ok(publishers
            .unwrap_or_default()
            .into_iter()
            .map(Organization)
            .collect())
    }
    /// The author's name.
    async fn author(&self) -> Option<&str> {
        self.0.author_name.as_deref()
    }
    /// Where it stands in its publication.
    async fn status(&self) -> ArticleStatus {
        DomainStatus::from_code(&self.0.status)
            .unwrap_or(DomainStatus::Draft)
            .into()
    }
    /// When it was (or will be) published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// Its version, which every editorial change increments: send it back with a change
    /// so that a concurrent edit is detected.
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// When its content, status or links last changed (an offline copy compares it with
    /// its own).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When a draft was submitted for review (null when it is not awaiting review).
    async fn review_requested_at(&self) -> Option<DateTime<Utc>> {
        self.0.review_requested_at
    }
    /// Events it is about.
    async fn related_events(&self, ctx: &Context<'_>) -> ApiResult<Vec<Event>> {
        let scope = scope(ctx)?;
        let ids = scope
            .load(EventsOfArticle(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(scope
            .load_all(ids.into_iter().map(EventId).collect())
            .await?
            .into_iter()
            .map(Event::new)
            .collect())
    }
    /// Where it was announced on social networks, oldest first. The same page of the
    /// articles of a list is read in one statement.
    async fn social_posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (the `endCursor` of the page before).")]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
    ) -> ApiResult<SocialPostConnection> {
        social_posts_of(ctx, self.0.id, (first, after, last, before)).await
    }
    /// Places it is about.
    async fn related_places(&self, ctx: &Context<'_>) -> ApiResult<Vec<Place>> {
        let scope = scope(ctx)?;
        let ids = scope
            .load(PlacesOfArticle(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(scope
            .load_all(ids.into_iter().map(PlaceId).collect())
            .await?
            .into_iter()
            .map(Place)
            .collect())
    }
}

/// An article in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct NewsArticleEdge {
    /// The cursor of this article in the list.
    pub cursor: String,
    /// The article.
    pub node: NewsArticle,
}

connection!(
    /// A page of news.
    NewsArticleConnection, NewsArticleEdge, NewsArticle,
    /// How many articles of the whole list each category, neighbourhood and audience holds,
    /// each counted under every condition of the filter but its own.
    facets: crate::types::facets::NewsFacets
);

/// A social post in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct SocialPostEdge {
    /// The cursor of this post in the list.
    pub cursor: String,
    /// The post.
    pub node: SocialPost,
}

connection!(
    /// A page of social posts, oldest first.
    SocialPostConnection, SocialPostEdge, SocialPost
);

/// One page of the posts that announced the item `item_id` (an article, an event or a
/// place), oldest first; the same page of the items of a list is read in one statement.
pub(crate) async fn social_posts_of(
    ctx: &Context<'_>,
    item_id: Uuid,
    (first, after, last, before): (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> ApiResult<SocialPostConnection> {
    let request = page_request(first, after, last, before).map_err(to_gql)?;
    let page = scope(ctx)?
        .load(SocialPostPage { item_id, request })
        .await?
        .unwrap_or_else(capitole_persistence::Page::empty);
    let (edges, page_info) = edges(page, |p, cursor| SocialPostEdge {
        cursor,
        node: SocialPost(p),
    });
    Ok(SocialPostConnection {
        edges,
        page_info,
        count: CountQuery::SocialPostsOf(item_id),
    })
}
