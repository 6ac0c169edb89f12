//! The editorial workflow of articles: create, update, submit for review, publish now or
//! later, unpublish, archive, delete drafts. Every write checks the editor's organizations,
//! reports every failed field at once, can be tried with `validateOnly`, and carries the
//! version it edits so that two editors never overwrite each other silently.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use capitole_domain::Slug;
use capitole_domain::editorial::{
    FieldErrors, Lines, Transition, check_count, check_optional_text, check_tags, check_text,
    check_url, limits,
};
use capitole_domain::text::encode_codes;
use capitole_persistence::editorial::{self, ArticleChange, ArticleContent, ArticleLinks};
use capitole_persistence::{catalog, events, places};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::ids::{self, Kind};
use crate::types::Audience;
use crate::types::article::{Network, NewsArticle, SocialPost};

/// An article's cover image.
#[derive(InputObject)]
pub(crate) struct CoverInput {
    /// An https address of the image.
    pub url: String,
    /// What it shows, for people who cannot see it (required).
    pub alt: String,
    /// Who made it.
    pub credit: Option<String>,
}

/// Kinds of media.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::article::MediaKind")]
pub(crate) enum MediaKind {
    /// A photograph or illustration.
    Image,
    /// A video.
    Video,
    /// A photo album.
    Album,
}

/// A photo, video or album, by address. Dailymotion, YouTube, Flickr and Instagram
/// addresses are recognised, checked and normalised (provider, id, embed address); other
/// https addresses are kept as they are. Images need a text alternative.
#[derive(InputObject)]
pub(crate) struct MediaInput {
    /// Its https address.
    pub url: String,
    /// Its kind; guessed from the address when absent.
    pub kind: Option<MediaKind>,
    /// What it shows, for people who cannot see it (required for images).
    pub alt: Option<String>,
    /// A caption (up to 500 characters).
    pub caption: Option<String>,
    /// Who made it (up to 200 characters).
    pub credit: Option<String>,
}

/// Checks media into their stored JSON, noting each failure as `media[i]`.
fn check_media_list(errors: &mut FieldErrors, media: &[MediaInput]) -> String {
    if !check_count(errors, "media", media.len(), limits::MEDIA) {
        return "[]".into();
    }
    let mut checked = Vec::with_capacity(media.len());
    for (i, m) in media.iter().enumerate() {
        let input = capitole_domain::media::MediaInput {
            url: m.url.clone(),
            kind: m.kind.map(Into::into),
            alt: m.alt.clone(),
            caption: m.caption.clone(),
            credit: m.credit.clone(),
        };
        match capitole_domain::media::check_media(input) {
            Ok(media) => checked.push(media),
            Err(e) => errors.add(format!("media[{i}]"), e.to_string()),
        }
    }
    serde_json::to_string(&checked).unwrap_or_else(|_| "[]".into())
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
    pub cover: Option<CoverInput>,
    /// Up to 20 tags of 1 to 40 characters.
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Who it is meant for.
    #[graphql(default)]
    pub audiences: Vec<Audience>,
    /// The publishers' slugs; by default the organizations the editor edits for. Both
    /// publishers may co-publish one article.
    pub organizations: Option<Vec<String>>,
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

/// A change to an article: only the fields given change; `null` clears an optional one.
#[derive(InputObject, Default)]
pub(crate) struct ArticlePatch {
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
    pub cover: MaybeUndefined<CoverInput>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Replaces the audiences.
    pub audiences: Option<Vec<Audience>>,
    /// A new slug; the old one keeps leading to the article.
    pub slug: Option<String>,
    /// Replaces the publishers (slugs). Publishers the editor does not edit for stay.
    pub organizations: Option<Vec<String>>,
    /// Replaces the neighbourhoods (slugs).
    pub neighborhoods: Option<Vec<String>>,
    /// Replaces the related events (ids).
    pub related_events: Option<Vec<ID>>,
    /// Replaces the related places (ids).
    pub related_places: Option<Vec<ID>>,
    /// Replaces the media.
    pub media: Option<Vec<MediaInput>>,
}

/// What an editorial write returns.
#[derive(SimpleObject)]
pub(crate) struct ArticlePayload {
    /// The article as stored; null when only validated.
    pub article: Option<NewsArticle>,
    /// True when the input was only checked and nothing was stored.
    pub validated_only: bool,
}

/// Checks an article's texts into `content`.
struct Texts<'a> {
    title: Option<&'a str>,
    summary: Option<&'a str>,
    easy_read_summary: Option<Option<&'a str>>,
    body: Option<&'a str>,
    author_name: Option<Option<&'a str>>,
    cover: Option<Option<&'a CoverInput>>,
    tags: Option<&'a [String]>,
}

struct CheckedTexts {
    title: Option<String>,
    summary: Option<String>,
    easy_read_summary: Option<Option<String>>,
    body: Option<String>,
    author_name: Option<Option<String>>,
    cover: Option<Option<(String, String, Option<String>)>>,
    tags: Option<String>,
}

fn check_texts(errors: &mut FieldErrors, t: Texts<'_>) -> CheckedTexts {
    let title = t
        .title
        .map(|v| check_text(errors, "title", v, 1, limits::TITLE, Lines::Single));
    let summary = t
        .summary
        .map(|v| check_text(errors, "summary", v, 0, limits::SUMMARY, Lines::Multiple));
    let easy_read_summary = t.easy_read_summary.map(|v| {
        check_optional_text(
            errors,
            "easyReadSummary",
            v,
            limits::EASY_READ_SUMMARY,
            Lines::Multiple,
        )
    });
    let body = t
        .body
        .map(|v| check_text(errors, "body", v, 0, limits::BODY, Lines::Multiple));
    let author_name = t
        .author_name
        .map(|v| check_optional_text(errors, "authorName", v, limits::AUTHOR, Lines::Single));
    let cover = t.cover.map(|cover| {
        cover.map(|c| {
            let url = check_url(errors, "cover.url", &c.url);
            let alt = check_text(errors, "cover.alt", &c.alt, 1, 300, Lines::Single);
            let credit = check_optional_text(
                errors,
                "cover.credit",
                c.credit.as_deref(),
                200,
                Lines::Single,
            );
            (url, alt, credit)
        })
    });
    let tags = t.tags.map(|tags| {
        let tags = check_tags(errors, "tags", tags);
        encode_codes(tags.iter().map(String::as_str))
    });
    CheckedTexts {
        title,
        summary,
        easy_read_summary,
        body,
        author_name,
        cover,
        tags,
    }
}

fn audiences_code(audiences: &[Audience]) -> String {
    let mut codes: Vec<&str> = audiences
        .iter()
        .map(|a| capitole_domain::Audience::from(*a).code())
        .collect();
    codes.dedup();
    encode_codes(codes)
}

/// Resolves slugs of organizations or neighbourhoods, noting unknown ones as field errors.
async fn organization_ids(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    slugs: &[String],
) -> ApiResult<Vec<Uuid>> {
    let mut ids = Vec::new();
    if !check_count(errors, "organizations", slugs.len(), 2) {
        return Ok(ids);
    }
    for (i, slug) in slugs.iter().enumerate() {
        match catalog::organization_by_slug(&scope.db, slug)
            .await
            .map_err(to_gql)?
        {
            Some(o) if !ids.contains(&o.id) => ids.push(o.id),
            Some(_) => {}
            None => errors.add(
                format!("organizations[{i}]"),
                format!("unknown organization `{}`", short(slug)),
            ),
        }
    }
    Ok(ids)
}

async fn neighborhood_ids(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    slugs: &[String],
) -> ApiResult<Vec<Uuid>> {
    let mut ids = Vec::new();
    if !check_count(errors, "neighborhoods", slugs.len(), limits::LINKS) {
        return Ok(ids);
    }
    for (i, slug) in slugs.iter().enumerate() {
        match catalog::neighborhood_by_slug(&scope.db, slug)
            .await
            .map_err(to_gql)?
        {
            Some(n) if !ids.contains(&n.id) => ids.push(n.id),
            Some(_) => {}
            None => errors.add(
                format!("neighborhoods[{i}]"),
                format!("unknown neighbourhood `{}`", short(slug)),
            ),
        }
    }
    Ok(ids)
}

fn short(text: &str) -> String {
    text.chars().take(60).collect()
}

/// Resolves ids of events or places that must exist.
async fn linked_ids(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    field: &str,
    kind: Kind,
    given: &[ID],
) -> ApiResult<Vec<Uuid>> {
    if !check_count(errors, field, given.len(), limits::LINKS) {
        return Ok(Vec::new());
    }
    let mut ids = Vec::new();
    for (i, id) in given.iter().enumerate() {
        match ids::decode_as(kind, id) {
            Ok(uuid) if !ids.contains(&uuid) => ids.push(uuid),
            Ok(_) => {}
            Err(e) => errors.add(format!("{field}[{i}]"), e.message().to_owned()),
        }
    }
    let found: Vec<Uuid> = match kind {
        Kind::Event => events::by_ids(&scope.db, &ids)
            .await
            .map_err(to_gql)?
            .into_iter()
            .map(|e| e.id)
            .collect(),
        _ => places::by_ids(&scope.db, &ids)
            .await
            .map_err(to_gql)?
            .into_iter()
            .map(|p| p.id)
            .collect(),
    };
    for (i, id) in ids.iter().enumerate() {
        if !found.contains(id) {
            errors.add(format!("{field}[{i}]"), "nothing has this id");
        }
    }
    Ok(ids)
}

/// The publishers of a new article: the ones named, or the editor's own.
fn default_publishers(scope: &RequestScope) -> Vec<Uuid> {
    match &scope.principal {
        crate::auth::Principal::User(user) => user.organizations.to_vec(),
        _ => Vec::new(),
    }
}

fn article_id(id: &ID) -> ApiResult<Uuid> {
    ids::decode_as(Kind::NewsArticle, id).map_err(to_gql)
}

/// Loads an article for an editorial write: it must exist and the caller must edit for one
/// of its publishers. Articles the caller may not see are reported as not found.
async fn editable(
    scope: &RequestScope,
    id: Uuid,
) -> ApiResult<(
    capitole_persistence::entities::article::Model,
    Vec<Uuid>,
    capitole_persistence::audit::Actor,
)> {
    let not_found = || to_gql(ApiError::new(ErrorCode::NotFound, "no article has this id"));
    let row = editorial::article(&scope.db, id)
        .await
        .map_err(to_gql)?
        .ok_or_else(not_found)?;
    let organizations = editorial::organizations_of(&scope.db, id)
        .await
        .map_err(to_gql)?;
    if !scope.principal.may_preview(&organizations) {
        let public = capitole_domain::article::ArticleStatus::from_code(&row.status)
            .is_some_and(|s| s.is_public(row.published_at, scope.now));
        if !public {
            // Anonymous callers learn that they must sign in; others that it is not theirs.
            scope.principal.user().map_err(to_gql)?;
            return Err(not_found());
        }
    }
    let actor = scope.principal.editor_of(&organizations).map_err(to_gql)?;
    Ok((row, organizations, actor))
}

fn done(
    article: Option<capitole_persistence::entities::article::Model>,
    validated_only: bool,
) -> ArticlePayload {
    ArticlePayload {
        article: article.map(NewsArticle),
        validated_only,
    }
}

#[derive(Default)]
pub(crate) struct EditorialMutation;

#[Object]
impl EditorialMutation {
    /// Writes a new draft for one or both publishers. Editors and administrators only.
    async fn create_article(
        &self,
        ctx: &Context<'_>,
        input: ArticleInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<ArticlePayload> {
        let scope = scope(ctx)?;
        let mut errors = FieldErrors::default();
        let organizations = match &input.organizations {
            Some(slugs) => organization_ids(scope, &mut errors, slugs).await?,
            None => default_publishers(scope),
        };
        if organizations.is_empty() && errors.is_empty() {
            // Anonymous callers and citizens are refused by the policy below.
            scope.principal.editor_of(&[]).map_err(to_gql)?;
            errors.add("organizations", "name at least one publisher");
        }
        let actor = if organizations.is_empty() {
            None
        } else {
            Some(scope.principal.editor_of(&organizations).map_err(to_gql)?)
        };
        // Each publisher named must be one the editor edits for (administrators: any).
        for (i, org) in organizations.iter().enumerate() {
            if scope.principal.editor_of(&[*org]).is_err() {
                errors.add(
                    format!("organizations[{i}]"),
                    "you do not edit for this organization",
                );
            }
        }
        let texts = check_texts(
            &mut errors,
            Texts {
                title: Some(&input.title),
                summary: Some(&input.summary),
                easy_read_summary: Some(input.easy_read_summary.as_deref()),
                body: Some(&input.body),
                author_name: Some(input.author_name.as_deref()),
                cover: Some(input.cover.as_ref()),
                tags: Some(&input.tags),
            },
        );
        check_count(&mut errors, "audiences", input.audiences.len(), 7);
        let media = check_media_list(&mut errors, &input.media);
        let neighborhoods = neighborhood_ids(scope, &mut errors, &input.neighborhoods).await?;
        let events = linked_ids(
            scope,
            &mut errors,
            "relatedEvents",
            Kind::Event,
            &input.related_events,
        )
        .await?;
        let places = linked_ids(
            scope,
            &mut errors,
            "relatedPlaces",
            Kind::Place,
            &input.related_places,
        )
        .await?;
        let Some(actor) = actor else {
            return Err(to_gql(ApiError::fields(errors)));
        };
        if !errors.is_empty() {
            return Err(to_gql(ApiError::fields(errors)));
        }
        if validate_only {
            return Ok(done(None, true));
        }
        let title = texts.title.unwrap_or_default();
        let (cover_url, cover_alt, cover_credit) = match texts.cover.flatten() {
            Some((url, alt, credit)) => (Some(url), Some(alt), credit),
            None => (None, None, None),
        };
        let content = ArticleContent {
            title: title.clone(),
            summary: texts.summary.unwrap_or_default(),
            easy_read_summary: texts.easy_read_summary.flatten(),
            body: texts.body.unwrap_or_default(),
            author_name: texts.author_name.flatten(),
            cover_url,
            cover_alt,
            cover_credit,
            media,
            tags: texts.tags.unwrap_or_else(|| "|".into()),
            audiences: audiences_code(&input.audiences),
        };
        let links = ArticleLinks {
            organizations,
            neighborhoods,
            events,
            places,
        };
        let slug = Slug::from_title(&title);
        let row =
            editorial::create_article(&scope.db, content, links, slug.as_str(), &actor, scope.now)
                .await
                .map_err(to_gql)?;
        Ok(done(Some(row), false))
    }

    /// Changes an article at `version` (the version read before editing). If someone else
    /// changed it since, nothing is stored and the answer is `CONFLICT`.
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article's id.")] id: ID,
        #[graphql(desc = "The version being edited.")] version: i32,
        patch: ArticlePatch,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<ArticlePayload> {
        let scope = scope(ctx)?;
        let (_, current_organizations, actor) = editable(scope, article_id(&id)?).await?;
        let mut errors = FieldErrors::default();
        let cover = match &patch.cover {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(c) => Some(Some(c)),
        };
        let texts = check_texts(
            &mut errors,
            Texts {
                title: patch.title.as_deref(),
                summary: patch.summary.as_deref(),
                easy_read_summary: optional(&patch.easy_read_summary),
                body: patch.body.as_deref(),
                author_name: optional(&patch.author_name),
                cover,
                tags: patch.tags.as_deref(),
            },
        );
        let slug = patch.slug.as_deref().map(|raw| match Slug::parse(raw) {
            Ok(slug) => slug.as_str().to_owned(),
            Err(e) => {
                errors.add("slug", e.to_string());
                String::new()
            }
        });
        let organizations = match &patch.organizations {
            Some(slugs) => {
                let named = organization_ids(scope, &mut errors, slugs).await?;
                // Publishers the editor does not edit for are kept, whatever the list says.
                let mut kept: Vec<Uuid> = current_organizations
                    .iter()
                    .copied()
                    .filter(|o| scope.principal.editor_of(&[*o]).is_err())
                    .collect();
                for (i, org) in named.iter().enumerate() {
                    if scope.principal.editor_of(&[*org]).is_err() {
                        if !current_organizations.contains(org) {
                            errors.add(
                                format!("organizations[{i}]"),
                                "you do not edit for this organization",
                            );
                        }
                    } else if !kept.contains(org) {
                        kept.push(*org);
                    }
                }
                if kept.is_empty() {
                    errors.add("organizations", "an article has at least one publisher");
                }
                Some(kept)
            }
            None => None,
        };
        let neighborhoods = match &patch.neighborhoods {
            Some(slugs) => Some(neighborhood_ids(scope, &mut errors, slugs).await?),
            None => None,
        };
        let events = match &patch.related_events {
            Some(ids) => {
                Some(linked_ids(scope, &mut errors, "relatedEvents", Kind::Event, ids).await?)
            }
            None => None,
        };
        let places = match &patch.related_places {
            Some(ids) => {
                Some(linked_ids(scope, &mut errors, "relatedPlaces", Kind::Place, ids).await?)
            }
            None => None,
        };
        if let Some(audiences) = &patch.audiences {
            check_count(&mut errors, "audiences", audiences.len(), 7);
        }
        let media = patch
            .media
            .as_deref()
            .map(|m| check_media_list(&mut errors, m));
        if !errors.is_empty() {
            return Err(to_gql(ApiError::fields(errors)));
        }
        if validate_only {
            return Ok(done(None, true));
        }
        let (cover_url, cover_alt, cover_credit) = match texts.cover {
            None => (None, None, None),
            Some(None) => (Some(None), Some(None), Some(None)),
            Some(Some((url, alt, credit))) => (Some(Some(url)), Some(Some(alt)), Some(credit)),
        };
        let change = ArticleChange {
            title: texts.title,
            summary: texts.summary,
            easy_read_summary: texts.easy_read_summary,
            body: texts.body,
            author_name: texts.author_name,
            cover_url,
            cover_alt,
            cover_credit,
            media,
            tags: texts.tags,
            audiences: patch.audiences.as_deref().map(audiences_code),
            slug,
            organizations,
            neighborhoods,
            events,
            places,
        };
        let row = editorial::update_article(
            &scope.db,
            article_id(&id)?,
            i64::from(version),
            change,
            &actor,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(done(Some(row), false))
    }

    /// Marks a draft as ready for review by the team.
    async fn submit_article_for_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
    ) -> ApiResult<NewsArticle> {
        move_along(ctx, &id, version, Transition::SubmitForReview, None).await
    }

    /// Publishes now.
    async fn publish_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
    ) -> ApiResult<NewsArticle> {
        move_along(ctx, &id, version, Transition::Publish, None).await
    }

    /// Publishes later: at `publishAt` (in the future, within a year) the scheduler
    /// publishes it, exactly once.
    async fn schedule_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        #[graphql(desc = "When to publish it.")] publish_at: DateTime<Utc>,
    ) -> ApiResult<NewsArticle> {
        let now = scope(ctx)?.now;
        let mut errors = FieldErrors::default();
        if publish_at <= now {
            errors.add(
                "publishAt",
                "must be in the future; use publishArticle to publish now",
            );
        } else if publish_at > now + Duration::days(366) {
            errors.add("publishAt", "must be within a year");
        }
        if !errors.is_empty() {
            return Err(to_gql(ApiError::fields(errors)));
        }
        move_along(ctx, &id, version, Transition::Schedule, Some(publish_at)).await
    }

    /// Takes an article back to draft: no longer public, no longer scheduled.
    async fn unpublish_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
    ) -> ApiResult<NewsArticle> {
        move_along(ctx, &id, version, Transition::Unpublish, None).await
    }

    /// Archives a published article: still public, marked out of date, out of the default
    /// news list.
    async fn archive_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
    ) -> ApiResult<NewsArticle> {
        move_along(ctx, &id, version, Transition::Archive, None).await
    }

    /// Records a post on a social network that announced an article (editors of its
    /// publishers). The address is checked against the network and cleaned of tracking
    /// parameters; recording the same address again returns the existing record.
    async fn record_social_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article's id.")] article_id: ID,
        network: Network,
        #[graphql(desc = "The post's address.")] url: String,
        #[graphql(desc = "When it was posted (default: now).")] posted_at: Option<DateTime<Utc>>,
    ) -> ApiResult<SocialPost> {
        let scope = scope(ctx)?;
        let uuid = self::article_id(&article_id)?;
        let (_, _, actor) = editable(scope, uuid).await?;
        let network: capitole_domain::social::Network = network.into();
        let url = capitole_domain::social::check_post_url(network, &url).map_err(|e| {
            let mut errors = FieldErrors::default();
            errors.add("url", e.to_string());
            to_gql(ApiError::fields(errors))
        })?;
        let post = editorial::NewSocialPost {
            item_kind: capitole_domain::change::ItemKind::Article,
            item_id: uuid,
            network: network.code().to_owned(),
            url,
            posted_at: posted_at.unwrap_or(scope.now),
        };
        editorial::record_social_post(&scope.db, post, &actor, scope.now)
            .await
            .map(SocialPost)
            .map_err(to_gql)
    }

    /// Removes a recorded social post.
    async fn remove_social_post(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let scope = scope(ctx)?;
        let uuid = ids::decode_as(Kind::SocialPost, &id).map_err(to_gql)?;
        let post = editorial::social_post(&scope.db, uuid)
            .await
            .map_err(to_gql)?
            .ok_or_else(|| {
                to_gql(ApiError::new(
                    ErrorCode::NotFound,
                    "no social post has this id",
                ))
            })?;
        let (_, _, actor) = editable(scope, post.item_id).await?;
        editorial::remove_social_post(&scope.db, &post, &actor, scope.now)
            .await
            .map_err(to_gql)?;
        Ok(true)
    }

    /// Deletes a draft. Published articles are unpublished or archived instead.
    async fn delete_article(&self, ctx: &Context<'_>, id: ID, version: i32) -> ApiResult<bool> {
        let scope = scope(ctx)?;
        let uuid = article_id(&id)?;
        let (_, _, actor) = editable(scope, uuid).await?;
        editorial::delete_draft(&scope.db, uuid, i64::from(version), &actor, scope.now)
            .await
            .map_err(to_gql)?;
        Ok(true)
    }
}

fn optional(value: &MaybeUndefined<String>) -> Option<Option<&str>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.as_str())),
    }
}

async fn move_along(
    ctx: &Context<'_>,
    id: &ID,
    version: i32,
    transition: Transition,
    publish_at: Option<DateTime<Utc>>,
) -> ApiResult<NewsArticle> {
    let scope = scope(ctx)?;
    let uuid = article_id(id)?;
    let (_, _, actor) = editable(scope, uuid).await?;
    editorial::transition(
        &scope.db,
        uuid,
        i64::from(version),
        transition,
        publish_at,
        &actor,
        scope.now,
    )
    .await
    .map(NewsArticle)
    .map_err(to_gql)
}
