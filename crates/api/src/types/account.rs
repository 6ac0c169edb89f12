//! People, sessions and app tokens as the graph shows them. Private fields exist only on
//! types that the policy hands out to their owner or to administrators.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use capitole_domain::text::decode_codes;
use capitole_persistence::accounts;
use capitole_persistence::entities::{api_token, user};
use chrono::{DateTime, Utc};

use crate::context::scope;
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::ids::{self, Kind};
use crate::types::catalog::Organization;
use crate::types::community::{
    CheckIn, CheckInConnection, CheckInEdge, Tip, TipConnection, TipEdge,
};
use crate::types::connection::{CountQuery, connection, edges, page_request};
use crate::types::event::{Occurrence, OccurrenceConnection, OccurrenceEdge};
use crate::types::node::{Node, resolve_node};
use crate::types::scalars::Email;
use capitole_persistence::{check_ins, reactions, tips};

/// What a signed-in person may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "capitole_domain::access::Role")]
pub(crate) enum Role {
    /// A resident with an account: the public graph and their own data.
    Citizen,
    /// Publishes for the organizations they edit for, drafts included.
    Editor,
    /// Runs the service: every organization, account and token.
    Administrator,
}

/// What a third-party app's token allows.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "capitole_domain::access::Scope")]
pub(crate) enum Scope {
    /// Read the public graph.
    Read,
    /// Register webhooks: endpoints Capitole calls when what the app follows changes.
    Webhooks,
}

/// The size of a caller's per-minute query budget.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "capitole_domain::access::RateTier")]
pub(crate) enum RateTier {
    /// Callers without credentials, counted by client address.
    Anonymous,
    /// Signed-in people.
    User,
    /// Third-party apps on the default plan.
    Standard,
    /// Partner apps with a larger budget.
    Partner,
}

/// A person's account, as they (or an administrator) see it.
#[derive(Clone)]
pub(crate) struct User(pub user::Model);

impl User {
    fn role_of(&self) -> Role {
        capitole_domain::access::Role::from_code(&self.0.role)
            .unwrap_or(capitole_domain::access::Role::Citizen)
            .into()
    }

    async fn organizations_of(&self, ctx: &Context<'_>) -> ApiResult<Vec<Organization>> {
        let scope = scope(ctx)?;
        Ok(accounts::organizations_of_user(&scope.db, self.0.id)
            .await
            .map_err(to_gql)?
            .into_iter()
            .map(Organization)
            .collect())
    }
}

/// A person's account, as they (or an administrator) see it.
#[Object]
impl User {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::User, self.0.id)
    }

    /// Their email address (private: shown to them and to administrators only).
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Email> {
        if scope(ctx)?.principal.may_read_private_of(self.0.id) {
            Ok(Email::from(self.0.email.as_str()))
        } else {
            Err(to_gql(ApiError::new(
                ErrorCode::Forbidden,
                "an email address is shown to its owner and to administrators only",
            )))
        }
    }

    /// Whether they confirmed their email address by following the link mailed to it
    /// (private, like the address).
    async fn email_verified(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        if scope(ctx)?.principal.may_read_private_of(self.0.id) {
            Ok(self.0.email_verified_at.is_some())
        } else {
            Err(to_gql(ApiError::new(
                ErrorCode::Forbidden,
                "whether an address is verified is shown to its owner and to administrators only",
            )))
        }
    }

    /// How their name is shown.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// What they may do.
    async fn role(&self) -> Role {
        self.role_of()
    }

    /// The organizations they edit for.
    async fn organizations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Organization>> {
        self.organizations_of(ctx).await
    }

    /// When the account was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A signed-in session: a short-lived access token to send as `Authorization: Bearer …`,
/// and a refresh token that gets the next one (each refresh token works once).
#[derive(SimpleObject)]
pub(crate) struct Session {
    /// Send it as `Authorization: Bearer <accessToken>`; it expires after 15 minutes.
    pub access_token: String,
    /// When the access token expires.
    pub access_token_expires_at: DateTime<Utc>,
    /// Give it to `refreshSession` for a new pair; it works once and for 30 days. Keep it
    /// secret: replaying a spent one closes the session.
    pub refresh_token: String,
    /// The signed-in person.
    pub user: User,
}

/// What signing up answers, whether or not the address already had an account: a mail to
/// the address says what comes next (a link to confirm it, or, if it has an account, a note
/// with a link to reset its password).
#[derive(SimpleObject)]
pub(crate) struct RegisterPayload {
    /// The address the mail goes to, as Capitole normalised it.
    pub email: Email,
    /// What to tell the person.
    pub message: String,
}

/// A third-party app's token, without its secret.
#[derive(Clone)]
pub(crate) struct ApiToken(pub api_token::Model);

/// A third-party app's token, without its secret.
#[Object]
impl ApiToken {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::ApiToken, self.0.id)
    }

    /// The app's name.
    async fn app(&self) -> &str {
        &self.0.app_name
    }

    /// Who to contact about the app.
    async fn contact(&self) -> Email {
        Email::from(self.0.contact.as_str())
    }

    /// The token's prefix and last characters, to recognise it.
    async fn hint(&self) -> &str {
        &self.0.hint
    }

    /// What it allows.
    async fn scopes(&self) -> Vec<Scope> {
        decode_codes(&self.0.scopes)
            .filter_map(capitole_domain::access::Scope::from_code)
            .map(Into::into)
            .collect()
    }

    /// Its budget.
    async fn tier(&self) -> RateTier {
        capitole_domain::access::RateTier::from_code(&self.0.tier)
            .unwrap_or(capitole_domain::access::RateTier::Standard)
            .into()
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was last used (to the hour).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// When it was revoked; a revoked token no longer works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// The signed-in person and what only they see.
pub(crate) struct Viewer(pub User);

/// The signed-in person and what only they see.
#[Object(cache_control(private))]
impl Viewer {
    /// Their account's global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::User, self.0.0.id)
    }

    /// Their email address.
    async fn email(&self) -> Email {
        Email::from(self.0.0.email.as_str())
    }

    /// Whether they confirmed their email address by following the link mailed to it.
    async fn email_verified(&self) -> bool {
        self.0.0.email_verified_at.is_some()
    }

    /// How their name is shown.
    async fn display_name(&self) -> &str {
        &self.0.0.display_name
    }

    /// What they may do.
    async fn role(&self) -> Role {
        self.0.role_of()
    }

    /// The organizations they edit for.
    async fn organizations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Organization>> {
        self.0.organizations_of(ctx).await
    }

    /// Their account, as administrators see it.
    async fn account(&self) -> &User {
        &self.0
    }

    /// Whether others may see their check-ins (private by default). Only people who
    /// share them can be a place's mayor.
    async fn check_ins_public(&self) -> bool {
        self.0.0.check_ins_public
    }

    /// Whether they stay out of places' mayorships even while they share their check-ins.
    async fn hidden_from_mayor(&self) -> bool {
        self.0.0.hidden_from_mayor
    }

    /// Their check-ins, latest first.
    async fn check_ins(
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
    ) -> ApiResult<CheckInConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = check_ins::check_ins_of(&scope.db, self.0.0.id, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |c, cursor| CheckInEdge {
            cursor,
            node: CheckIn(c),
        });
        Ok(CheckInConnection {
            edges,
            page_info,
            count: CountQuery::CheckInsOf(self.0.0.id),
        })
    }

    /// Their tips, latest first (hidden ones left out).
    async fn tips(
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
    ) -> ApiResult<TipConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = tips::tips_of_user(&scope.db, self.0.0.id, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |t, cursor| TipEdge {
            cursor,
            node: Tip(t),
        });
        Ok(TipConnection {
            edges,
            page_info,
            count: CountQuery::TipsOfUser(self.0.0.id),
        })
    }

    /// What they saved (places, events, articles), latest first. Items no longer readable
    /// are left out of the page, which may then hold fewer items than asked for (its
    /// cursors and `totalCount` still count them).
    async fn saved(
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
    ) -> ApiResult<SavedConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = reactions::saves_of(&scope.db, self.0.0.id, &request)
            .await
            .map_err(to_gql)?;
        let (saves, page_info) = edges(page, |save, cursor| (save, cursor));
        let mut edges = Vec::with_capacity(saves.len());
        for (save, cursor) in saves {
            let kind = match capitole_domain::community::SavedKind::from_code(&save.item_kind) {
                Some(capitole_domain::community::SavedKind::Place) => Kind::Place,
                Some(capitole_domain::community::SavedKind::Event) => Kind::Event,
                Some(capitole_domain::community::SavedKind::Article) => Kind::NewsArticle,
                None => continue,
            };
            if let Some(node) = resolve_node(scope, kind, save.item_id).await? {
                edges.push(SavedEdge {
                    cursor,
                    node,
                    saved_at: save.created_at,
                });
            }
        }
        Ok(SavedConnection {
            edges,
            page_info,
            count: CountQuery::SavedBy(self.0.0.id),
        })
    }

    /// Their own feed: `feed` with, as interests, the categories of the places they checked
    /// in at or saved, of the events they saved or are going to, and of the articles they
    /// saved.
    #[expect(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments: the four of paging and what the reader says of themselves"
    )]
    async fn feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whom they are (families, students…).")] audiences: Option<
            Vec<crate::types::Audience>,
        >,
        #[graphql(desc = "Their neighbourhood (a slug).")] neighborhood: Option<String>,
        #[graphql(desc = "Where they are: nearer places and events rank higher.")] near: Option<
            crate::types::GeoPointInput,
        >,
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
    ) -> ApiResult<crate::types::feed::FeedConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let mut interests = reactions::interests_of(&scope.db, self.0.0.id)
            .await
            .map_err(to_gql)?;
        interests.truncate(crate::types::MAX_LIST_ARGUMENT);
        let reader = crate::query::feed::reader(scope, audiences, neighborhood, interests, near)
            .await
            .map_err(to_gql)?;
        crate::query::feed::page_of(scope, &reader, &request).await
    }

    /// The dates they are going to that have not started, soonest first.
    async fn going(
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
    ) -> ApiResult<OccurrenceConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = reactions::going_of(&scope.db, self.0.0.id, scope.now, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |o, cursor| OccurrenceEdge {
            cursor,
            node: Occurrence(o),
        });
        Ok(OccurrenceConnection {
            edges,
            page_info,
            count: CountQuery::GoingOf(self.0.0.id, scope.now),
        })
    }
}

/// An item they saved.
#[derive(SimpleObject, Clone)]
pub(crate) struct SavedEdge {
    /// The cursor of this item in the list.
    pub cursor: String,
    /// The place, event or article.
    pub node: Node,
    /// When they saved it.
    pub saved_at: DateTime<Utc>,
}

connection!(
    /// A page of saved items, latest first.
    SavedConnection, SavedEdge, Node
);

/// An account in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct UserEdge {
    /// The cursor of this account in the list.
    pub cursor: String,
    /// The account.
    pub node: User,
}

connection!(
    /// A page of accounts, by email.
    UserConnection, UserEdge, User
);

/// An app token in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct ApiTokenEdge {
    /// The cursor of this token in the list.
    pub cursor: String,
    /// The token.
    pub node: ApiToken,
}

connection!(
    /// A page of app tokens, newest first.
    ApiTokenConnection, ApiTokenEdge, ApiToken
);
