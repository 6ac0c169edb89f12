//! The editorial workflow of articles: create, update, submit for review, publish now or
//! later, unpublish, archive, delete drafts; and the social posts that announced articles,
//! events and places.
//! Every write checks the editor's organizations, reports every failed field at once, can
//! be tried with `validateOnly`, and carries the version it edits so that two editors never
//! overwrite each other silently. The rules are the domain's and the writes the articles
//! service's; each resolver converts its input, calls the service once and converts the
//! answer.

mod input;

use async_graphql::{Context, ID, Object};
use capitole_domain::article::{PublishAt, Transition};
use capitole_domain::change::ItemKind;
use capitole_domain::social::PostLink;
use capitole_persistence::entities::article;
use capitole_services::{announcements, articles};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use self::input::{ArticleInput, ArticlePatchInput};
use super::payloads::{
    ArchiveArticlePayload, CreateArticlePayload, DeleteArticlePayload, PublishArticlePayload,
    RecordSocialPostPayload, RemoveSocialPostPayload, ScheduleArticlePayload,
    SubmitArticleForReviewPayload, UnpublishArticlePayload, UpdateArticlePayload,
};
use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::types::article::Network;
use crate::types::scalars::Url;

#[derive(Default)]
pub(crate) struct ArticleMutation;

#[Object]
impl ArticleMutation {
    /// Writes a new draft for one or both publishers. Editors and administrators only.
    async fn create_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new article, stored as a draft.")] input: ArticleInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<CreateArticlePayload> {
        let scope = scope(ctx)?;
        let draft = input.into_draft();
        let by = &scope.principal;
        articles::create(&scope.services(), by, draft, validate_only, scope.now)
            .await
            .map(Into::into)
            .map_err(to_gql)
    }

    /// Changes an article at `version` (the version read before editing). If someone else
    /// changed it since, nothing is stored and the answer is `CONFLICT`.
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article's id.")] id: ID,
        #[graphql(desc = "The version being edited.")] version: i32,
        #[graphql(desc = "The fields to change; the others stay as they are.")]
        patch: ArticlePatchInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<UpdateArticlePayload> {
        let scope = scope(ctx)?;
        let (id, patch) = (article_id(&id)?, patch.into_patch());
        let version = i64::from(version);
        let by = &scope.principal;
        articles::update(
            &scope.services(),
            by,
            id,
            version,
            patch,
            validate_only,
            scope.now,
        )
        .await
        .map(Into::into)
        .map_err(to_gql)
    }

    /// Marks a draft as ready for review by the team.
    async fn submit_article_for_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
    ) -> ApiResult<SubmitArticleForReviewPayload> {
        step(ctx, &id, version, Transition::SubmitForReview).await
    }

    /// Publishes now.
    async fn publish_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
    ) -> ApiResult<PublishArticlePayload> {
        step(ctx, &id, version, Transition::Publish).await
    }

    /// Publishes later: at `publishAt` (in the future, within a year) the scheduler
    /// publishes it, exactly once.
    async fn schedule_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
        #[graphql(desc = "When to publish it.")] publish_at: DateTime<Utc>,
    ) -> ApiResult<ScheduleArticlePayload> {
        let at = PublishAt::parse(publish_at, scope(ctx)?.now)
            .map_err(|errors| to_gql(ApiError::fields(errors)))?;
        step(ctx, &id, version, Transition::Schedule(at)).await
    }

    /// Takes an article back to draft: no longer public, no longer scheduled.
    async fn unpublish_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
    ) -> ApiResult<UnpublishArticlePayload> {
        step(ctx, &id, version, Transition::Unpublish).await
    }

    /// Archives a published article: still public, marked out of date, out of the default
    /// news list.
    async fn archive_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
    ) -> ApiResult<ArchiveArticlePayload> {
        step(ctx, &id, version, Transition::Archive).await
    }

    /// Records a post on a social network that announced an article, an event or a place
    /// (editors of its publishers). The address is checked against the network and cleaned
    /// of tracking parameters; recording the same address again returns the existing
    /// record.
    async fn record_social_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article, event or place it announced.")]
        item_id: Option<ID>,
        #[graphql(
            desc = "The article's id: the older spelling of `itemId`, for articles (give one of the two).",
            deprecation = "Use `itemId`, which also takes events and places."
        )]
        article_id: Option<ID>,
        #[graphql(desc = "The network it was posted on.")] network: Network,
        #[graphql(desc = "The post's address.")] url: Url,
        #[graphql(desc = "When it was posted (default: now).")] posted_at: Option<DateTime<Utc>>,
    ) -> ApiResult<RecordSocialPostPayload> {
        let scope = scope(ctx)?;
        let item = match (item_id, article_id) {
            (Some(id), None) => announced_item(&id)?,
            (None, Some(id)) => (ItemKind::Article, self::article_id(&id)?),
            _ => {
                return Err(to_gql(ApiError::bad_input(
                    "give the announced item's id in `itemId` (or an article's in `articleId`), once",
                )));
            }
        };
        let post = PostLink::parse(network.into(), &url.0);
        let by = &scope.principal;
        announcements::record_social_post(&scope.services(), by, item, post, posted_at, scope.now)
            .await
            .map(Into::into)
            .map_err(to_gql)
    }

    /// Removes a recorded social post.
    async fn remove_social_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the social post.")] id: ID,
    ) -> ApiResult<RemoveSocialPostPayload> {
        let scope = scope(ctx)?;
        let id = ids::decode_as(Kind::SocialPost, &id).map_err(to_gql)?;
        announcements::remove_social_post(&scope.services(), &scope.principal, id, scope.now)
            .await
            .map(|()| id.into())
            .map_err(to_gql)
    }

    /// Deletes a draft. Published articles are unpublished or archived instead.
    async fn delete_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
    ) -> ApiResult<DeleteArticlePayload> {
        let scope = scope(ctx)?;
        let (id, version) = (article_id(&id)?, i64::from(version));
        articles::delete_draft(&scope.services(), &scope.principal, id, version, scope.now)
            .await
            .map(|()| id.into())
            .map_err(to_gql)
    }
}

/// Takes an article one step along its workflow; answers the step's payload.
async fn step<P: From<article::Model>>(
    ctx: &Context<'_>,
    id: &ID,
    version: i32,
    step: Transition,
) -> ApiResult<P> {
    let scope = scope(ctx)?;
    let (id, version) = (article_id(id)?, i64::from(version));
    articles::transition(
        &scope.services(),
        &scope.principal,
        id,
        version,
        step,
        scope.now,
    )
    .await
    .map(Into::into)
    .map_err(to_gql)
}

fn article_id(id: &ID) -> ApiResult<Uuid> {
    ids::decode_as(Kind::NewsArticle, id).map_err(to_gql)
}

/// The article, event or place a global id names.
fn announced_item(id: &ID) -> ApiResult<(ItemKind, Uuid)> {
    let refused = || {
        to_gql(ApiError::bad_input(
            "`itemId` is the global id of an article, an event or a place",
        ))
    };
    let (kind, uuid) = ids::decode(id).map_err(|_| refused())?;
    let kind = match kind {
        Kind::NewsArticle => ItemKind::Article,
        Kind::Event => ItemKind::Event,
        Kind::Place => ItemKind::Place,
        _ => return Err(refused()),
    };
    Ok((kind, uuid))
}
