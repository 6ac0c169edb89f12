//! What the mutations answer. Every mutation `fooBar` answers `FooBarPayload!`, a type of its
//! own, so that a field can be added to one answer without touching the others. A payload
//! names what was written under its type's name (`article`, `event`, `session`...); a delete
//! answers the `deletedId` of what it deleted; a write that can be tried with
//! `validateOnly` says whether it only validated (`validatedOnly`), and an upsert says what
//! it did (`outcome`). Failures are never payloads: they are GraphQL errors with
//! `extensions.code`, and nothing is written.
//!
//! Signing up and checking in answer `RegisterPayload` and `CheckInPayload`, which live
//! with the account and community types.

use async_graphql::{Context, ID, Object, SimpleObject};
use capitole_persistence::Outcome;
use capitole_persistence::entities::{
    api_token, article, event, place, social_post, tip, user as user_row,
};
use uuid::Uuid;

use super::agenda::UpsertOutcome;
use crate::context::scope;
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::PlaceId;
use crate::types::Place;
use crate::types::account::{ApiToken, Session, User, Viewer};
use crate::types::article::{NewsArticle, SocialPost};
use crate::types::community::Tip;
use crate::types::event::{Event, Occurrence};
use crate::types::node::{Node, resolve_node};
use crate::types::scalars::Email;

/// The payload of a mutation that writes one item and answers it as stored: `$field`
/// holds the item (`$item`, made from the stored row `$model` when one is given).
macro_rules! item_payload {
    ($(#[$doc:meta])* $name:ident { $(#[$field_doc:meta])* $field:ident: $item:ident $(:: $make:ident)? ($model:ty) }) => {
        item_payload!($(#[$doc])* $name { $(#[$field_doc])* $field: $item });

        impl From<$model> for $name {
            fn from(row: $model) -> Self {
                Self { $field: $item $(:: $make)? (row) }
            }
        }
    };
    ($(#[$doc:meta])* $name:ident { $(#[$field_doc:meta])* $field:ident: $item:ident }) => {
        $(#[$doc])*
        #[derive(SimpleObject)]
        pub(crate) struct $name {
            $(#[$field_doc])*
            pub $field: $item,
        }

        impl From<$item> for $name {
            fn from($field: $item) -> Self {
                Self { $field }
            }
        }
    };
}

/// The payload of a create or update that can be tried with `validateOnly`: the item as
/// stored, or null with `validatedOnly` when the input was only checked.
macro_rules! checked_payload {
    ($(#[$doc:meta])* $name:ident { $(#[$field_doc:meta])* $field:ident: $item:ident $(:: $make:ident)? ($model:ty) }) => {
        $(#[$doc])*
        #[derive(SimpleObject)]
        pub(crate) struct $name {
            $(#[$field_doc])*
            pub $field: Option<$item>,
            /// True when the input was only checked (`validateOnly`): nothing was stored.
            pub validated_only: bool,
        }

        impl From<Option<$model>> for $name {
            fn from(stored: Option<$model>) -> Self {
                Self {
                    validated_only: stored.is_none(),
                    $field: stored.map($item $(:: $make)?),
                }
            }
        }
    };
}

/// The payload of an upsert: the item as stored and what the upsert did, or null with
/// `validatedOnly` (and the outcome `VALIDATED`) when the input was only checked.
macro_rules! upsert_payload {
    ($(#[$doc:meta])* $name:ident { $(#[$field_doc:meta])* $field:ident: $item:ident $(:: $make:ident)? ($model:ty) }) => {
        $(#[$doc])*
        #[derive(SimpleObject)]
        pub(crate) struct $name {
            $(#[$field_doc])*
            pub $field: Option<$item>,
            /// What the upsert did: `CREATED`, `UPDATED`, `UNCHANGED`, or `VALIDATED` when the
            /// input was only checked.
            pub outcome: UpsertOutcome,
            /// True when the input was only checked (`validateOnly`): nothing was stored.
            pub validated_only: bool,
        }

        impl From<Option<($model, Outcome)>> for $name {
            fn from(stored: Option<($model, Outcome)>) -> Self {
                match stored {
                    Some((row, outcome)) => Self {
                        $field: Some($item $(:: $make)? (row)),
                        outcome: outcome.into(),
                        validated_only: false,
                    },
                    None => Self {
                        $field: None,
                        outcome: UpsertOutcome::Validated,
                        validated_only: true,
                    },
                }
            }
        }
    };
}

/// The payload of a delete: the global id of what was deleted (of kind `$kind`).
macro_rules! delete_payload {
    ($(#[$doc:meta])* $name:ident($kind:ident) { $(#[$field_doc:meta])* deleted_id }) => {
        $(#[$doc])*
        #[derive(SimpleObject)]
        pub(crate) struct $name {
            $(#[$field_doc])*
            pub deleted_id: ID,
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self {
                    deleted_id: ids::encode(Kind::$kind, id),
                }
            }
        }
    };
}

// --- Accounts ----------------------------------------------------------------------------

item_payload!(
    /// What `verifyEmail` answers: the address is confirmed and its owner signed in.
    VerifyEmailPayload {
        /// The new session of the account whose address was confirmed.
        session: Session
    }
);

item_payload!(
    /// What `resetPassword` answers: the new password is set, every other session closed.
    ResetPasswordPayload {
        /// The new session, the only one open for the account.
        session: Session
    }
);

item_payload!(
    /// What `login` answers.
    LoginPayload {
        /// The new session.
        session: Session
    }
);

item_payload!(
    /// What `refreshSession` answers: the session goes on with a new pair of tokens.
    RefreshSessionPayload {
        /// The session with its new access and refresh tokens (the refresh token given is
        /// spent).
        session: Session
    }
);

item_payload!(
    /// What `changePassword` answers: the new password is set, every other session closed.
    ChangePasswordPayload {
        /// The new session, the only one open for the account.
        session: Session
    }
);

/// What `requestEmailVerification` answers. It is the same whether or not the address has
/// an account waiting for confirmation, so that it tells nobody which addresses do.
#[derive(SimpleObject)]
pub(crate) struct RequestEmailVerificationPayload {
    /// The address, as Capitole normalised it: a new link is mailed to it if it has an
    /// account waiting for confirmation.
    pub email: Email,
}

/// What `requestPasswordReset` answers. It is the same whether or not the address has an
/// account, so that it tells nobody which addresses do.
#[derive(SimpleObject)]
pub(crate) struct RequestPasswordResetPayload {
    /// The address, as Capitole normalised it: a link to choose a new password is mailed to
    /// it if it has an account.
    pub email: Email,
}

/// What `logout` answers.
#[derive(SimpleObject)]
pub(crate) struct LogoutPayload {
    /// How many sessions closed: this one, or with `everywhere` every session of the account
    /// that was open.
    pub sessions_closed: i64,
}

impl From<u64> for LogoutPayload {
    fn from(closed: u64) -> Self {
        Self {
            sessions_closed: i64::try_from(closed).unwrap_or(i64::MAX),
        }
    }
}

delete_payload!(
    /// What `deleteMyAccount` answers: the account and its personal data are erased.
    DeleteMyAccountPayload(User) {
        /// The global id the account had; it no longer exists, and its sessions and tokens
        /// no longer work.
        deleted_id
    }
);

// --- Administration ----------------------------------------------------------------------

item_payload!(
    /// What `setUserRole` answers.
    SetUserRolePayload {
        /// The person, with their new role and organizations.
        user: User(user_row::Model)
    }
);

/// What `createApiToken` answers: the only place the token's secret is ever shown.
#[derive(SimpleObject)]
pub(crate) struct CreateApiTokenPayload {
    /// The secret, to send as `Authorization: Bearer <token>`. Shown once; only its hash is
    /// kept.
    pub token: String,
    /// The token's record.
    pub api_token: ApiToken,
}

item_payload!(
    /// What `revokeApiToken` answers.
    RevokeApiTokenPayload {
        /// The token, revoked (`revokedAt` says since when).
        api_token: ApiToken(api_token::Model)
    }
);

// --- Articles ----------------------------------------------------------------------------

checked_payload!(
    /// What `createArticle` answers.
    CreateArticlePayload {
        /// The new draft as stored; null when the input was only checked.
        article: NewsArticle(article::Model)
    }
);

checked_payload!(
    /// What `updateArticle` answers.
    UpdateArticlePayload {
        /// The article as stored, at its new version; null when the input was only checked.
        article: NewsArticle(article::Model)
    }
);

item_payload!(
    /// What `submitArticleForReview` answers.
    SubmitArticleForReviewPayload {
        /// The article, in review, at its new version.
        article: NewsArticle(article::Model)
    }
);

item_payload!(
    /// What `publishArticle` answers.
    PublishArticlePayload {
        /// The article, published, at its new version.
        article: NewsArticle(article::Model)
    }
);

item_payload!(
    /// What `scheduleArticle` answers.
    ScheduleArticlePayload {
        /// The article, scheduled, at its new version.
        article: NewsArticle(article::Model)
    }
);

item_payload!(
    /// What `unpublishArticle` answers.
    UnpublishArticlePayload {
        /// The article, back to draft, at its new version.
        article: NewsArticle(article::Model)
    }
);

item_payload!(
    /// What `archiveArticle` answers.
    ArchiveArticlePayload {
        /// The article, archived, at its new version.
        article: NewsArticle(article::Model)
    }
);

item_payload!(
    /// What `recordSocialPost` answers.
    RecordSocialPostPayload {
        /// The recorded post (the existing record when the address was recorded already).
        social_post: SocialPost(social_post::Model)
    }
);

delete_payload!(
    /// What `removeSocialPost` answers.
    RemoveSocialPostPayload(SocialPost) {
        /// The global id the removed post had.
        deleted_id
    }
);

delete_payload!(
    /// What `deleteArticle` answers.
    DeleteArticlePayload(NewsArticle) {
        /// The global id the deleted draft had.
        deleted_id
    }
);

// --- Community ---------------------------------------------------------------------------

item_payload!(
    /// What `addTip` answers.
    AddTipPayload {
        /// The new tip.
        tip: Tip(tip::Model)
    }
);

item_payload!(
    /// What `likeTip` answers.
    LikeTipPayload {
        /// The tip, with its likes counted.
        tip: Tip(tip::Model)
    }
);

item_payload!(
    /// What `reportTip` answers. Reporting a tip one has reported already answers the same
    /// and changes nothing.
    ReportTipPayload {
        /// The tip reported.
        tip: Tip(tip::Model)
    }
);

item_payload!(
    /// What `hideTip` answers.
    HideTipPayload {
        /// The tip, hidden from every public path.
        tip: Tip(tip::Model)
    }
);

item_payload!(
    /// What `restoreTip` answers.
    RestoreTipPayload {
        /// The tip, shown again.
        tip: Tip(tip::Model)
    }
);

/// What `ratePlace` answers.
pub(crate) struct RatePlacePayload {
    /// The place voted on.
    pub place_id: Uuid,
}

/// What `ratePlace` answers.
#[Object]
impl RatePlacePayload {
    /// The place voted on; its `stats` count the vote.
    async fn place(&self, ctx: &Context<'_>) -> ApiResult<Place> {
        scope(ctx)?
            .load(PlaceId(self.place_id))
            .await?
            .map(Place)
            .ok_or_else(|| to_gql(ApiError::new(ErrorCode::NotFound, "no place has this id")))
    }
}

/// What `setSaved` answers.
pub(crate) struct SetSavedPayload {
    /// The kind of item saved or removed.
    pub kind: Kind,
    /// Its id.
    pub item_id: Uuid,
    /// Whether it is in the list now.
    pub saved: bool,
}

/// What `setSaved` answers.
#[Object]
impl SetSavedPayload {
    /// The place, event or article; null only when it was removed from the list and the
    /// person may no longer read it.
    async fn item(&self, ctx: &Context<'_>) -> ApiResult<Option<Node>> {
        resolve_node(scope(ctx)?, self.kind, self.item_id).await
    }

    /// Whether the item is in the signed-in person's list now.
    async fn saved(&self) -> bool {
        self.saved
    }
}

/// What `setGoing` answers.
#[derive(SimpleObject)]
pub(crate) struct SetGoingPayload {
    /// The date; its `attendeeCount` counts the answer.
    pub occurrence: Occurrence,
    /// Whether the signed-in person is going now.
    pub going: bool,
}

item_payload!(
    /// What `updatePrivacy` answers.
    UpdatePrivacyPayload {
        /// The signed-in person, with their privacy choices as they are now.
        viewer: Viewer
    }
);

impl From<user_row::Model> for UpdatePrivacyPayload {
    fn from(row: user_row::Model) -> Self {
        Viewer(User(row)).into()
    }
}

// --- Events ------------------------------------------------------------------------------

checked_payload!(
    /// What `createEvent` answers.
    CreateEventPayload {
        /// The new event as stored; null when the input was only checked.
        event: Event::new(event::Model)
    }
);

checked_payload!(
    /// What `updateEvent` answers.
    UpdateEventPayload {
        /// The event as stored, at its new version; null when the input was only checked.
        event: Event::new(event::Model)
    }
);

item_payload!(
    /// What `cancelEvent` answers.
    CancelEventPayload {
        /// The event, cancelled, at its new version.
        event: Event::new(event::Model)
    }
);

item_payload!(
    /// What `postponeEvent` answers.
    PostponeEventPayload {
        /// The event, postponed, at its new version.
        event: Event::new(event::Model)
    }
);

item_payload!(
    /// What `rescheduleEvent` answers.
    RescheduleEventPayload {
        /// The event with its new dates, at its new version.
        event: Event::new(event::Model)
    }
);

item_payload!(
    /// What `setEventStatus` answers.
    SetEventStatusPayload {
        /// The event with its new status, at its new version.
        event: Event::new(event::Model)
    }
);

item_payload!(
    /// What `setOccurrenceStatus` answers.
    SetOccurrenceStatusPayload {
        /// The event whose date changed, at its new version.
        event: Event::new(event::Model)
    }
);

upsert_payload!(
    /// What `upsertEvent` answers.
    UpsertEventPayload {
        /// The event as stored; null when the input was only checked.
        event: Event::new(event::Model)
    }
);

// --- Places ------------------------------------------------------------------------------

checked_payload!(
    /// What `createPlace` answers.
    CreatePlacePayload {
        /// The new place as stored; null when the input was only checked.
        place: Place(place::Model)
    }
);

checked_payload!(
    /// What `updatePlace` answers.
    UpdatePlacePayload {
        /// The place as stored, at its new version; null when the input was only checked.
        place: Place(place::Model)
    }
);

item_payload!(
    /// What `closePlace` answers.
    ClosePlacePayload {
        /// The place, closed, at its new version.
        place: Place(place::Model)
    }
);

item_payload!(
    /// What `reopenPlace` answers.
    ReopenPlacePayload {
        /// The place, open again, at its new version.
        place: Place(place::Model)
    }
);

upsert_payload!(
    /// What `upsertPlace` answers.
    UpsertPlacePayload {
        /// The place as stored; null when the input was only checked.
        place: Place(place::Model)
    }
);
