//! Who is acting: an anonymous caller, a signed-in person or a third-party app, and the
//! policy methods that are the one place access is decided. The HTTP front handler makes a
//! principal from credentials; the command line and the scheduler act as the principals
//! they are given.

use std::sync::Arc;

use capitole_domain::access::{RateTier, Role, Scope};
use capitole_persistence::articles::ArticleVisibility;
use capitole_persistence::audit::Actor;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ErrorCode, ServiceError};

/// A signed-in person, as their access token and the database describe them now.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Their account.
    pub user_id: Uuid,
    /// The session family of the access token.
    pub session: Uuid,
    /// Their role.
    pub role: Role,
    /// The organizations they edit for.
    pub organizations: Arc<[Uuid]>,
    /// How the audit log names them.
    pub display_name: Arc<str>,
}

/// A third-party app, as its token describes it.
#[derive(Debug, Clone)]
pub struct App {
    /// The token's id.
    pub token_id: Uuid,
    /// What the token allows.
    pub scopes: Vec<Scope>,
    /// The token's budget.
    pub tier: RateTier,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    /// Nobody in particular, known by client address.
    Anonymous,
    /// A signed-in person.
    User(SignedIn),
    /// A third-party app.
    App(App),
}

impl Principal {
    /// The signed-in person, or `UNAUTHENTICATED`.
    pub fn user(&self) -> Result<&SignedIn, ServiceError> {
        match self {
            Principal::User(user) => Ok(user),
            Principal::App(_) => Err(ServiceError::new(
                ErrorCode::Forbidden,
                "an app token cannot act for a person; sign in as a user",
            )),
            Principal::Anonymous => Err(ServiceError::new(
                ErrorCode::Unauthenticated,
                "sign in first (send `Authorization: Bearer <access token>`)",
            )),
        }
    }

    /// The signed-in administrator, or `FORBIDDEN` / `UNAUTHENTICATED`.
    pub fn administrator(&self) -> Result<&SignedIn, ServiceError> {
        let user = self.user()?;
        if user.role == Role::Administrator {
            Ok(user)
        } else {
            Err(ServiceError::new(
                ErrorCode::Forbidden,
                "only administrators may do this",
            ))
        }
    }

    /// The actor of an editorial write on an item published by `organizations`: an
    /// administrator, or an editor of at least one of them. The audit log records the
    /// first organization they share with the item.
    pub fn editor_of(&self, organizations: &[Uuid]) -> Result<Actor, ServiceError> {
        let user = match self {
            Principal::App(_) => {
                return Err(ServiceError::new(
                    ErrorCode::Forbidden,
                    "app tokens cannot publish; sign in as an editor",
                ));
            }
            other => other.user()?,
        };
        let actor = |organization: Option<Uuid>| Actor {
            user_id: Some(user.user_id),
            label: user.display_name.to_string(),
            organization,
        };
        match user.role {
            Role::Administrator => Ok(actor(organizations.first().copied())),
            Role::Editor => organizations
                .iter()
                .find(|o| user.organizations.contains(o))
                .map(|o| actor(Some(*o)))
                .ok_or_else(|| {
                    ServiceError::new(
                        ErrorCode::Forbidden,
                        "you do not edit for the organizations that publish this",
                    )
                }),
            Role::Citizen => Err(ServiceError::new(
                ErrorCode::Forbidden,
                "only editors and administrators publish",
            )),
        }
    }

    /// The actor of a moderation (hiding or restoring a tip) at a place run by `owner`, if
    /// any: editors and administrators, who moderate every place. The audit log records
    /// the place's owner when the moderator may act for it, so that its editors read what
    /// was done at their places; an editor of another organization is recorded for their
    /// own, so that their colleagues read it.
    pub fn moderator(&self, owner: Option<Uuid>) -> Result<Actor, ServiceError> {
        let user = self.user()?;
        let organization = match user.role {
            Role::Administrator => owner,
            Role::Editor => owner
                .filter(|o| user.organizations.contains(o))
                .or_else(|| user.organizations.first().copied()),
            Role::Citizen => {
                return Err(ServiceError::new(
                    ErrorCode::Forbidden,
                    "only moderators hide and restore tips",
                ));
            }
        };
        Ok(Actor {
            user_id: Some(user.user_id),
            label: user.display_name.to_string(),
            organization,
        })
    }

    /// The organizations an editorial reader may see the trail of: `None` for every one
    /// (administrators), the editor's own otherwise.
    pub fn audit_scope(&self) -> Result<Option<Vec<Uuid>>, ServiceError> {
        let user = self.user()?;
        match user.role {
            Role::Administrator => Ok(None),
            Role::Editor => Ok(Some(user.organizations.to_vec())),
            Role::Citizen => Err(ServiceError::new(
                ErrorCode::Forbidden,
                "the editorial trail is for editors and administrators",
            )),
        }
    }

    /// Whether the caller moderates what residents write (editors and administrators).
    pub fn is_moderator(&self) -> bool {
        matches!(self, Principal::User(user) if user.role != Role::Citizen)
    }

    /// Whether the caller may read the drafts of `organizations`' items.
    pub fn may_preview(&self, organizations: &[Uuid]) -> bool {
        match self {
            Principal::User(user) => match user.role {
                Role::Administrator => true,
                Role::Editor => organizations.iter().any(|o| user.organizations.contains(o)),
                Role::Citizen => false,
            },
            _ => false,
        }
    }

    /// Whether the caller may read the public graph at all: people and anonymous callers
    /// always; apps only with the `read` scope.
    pub fn may_read(&self) -> bool {
        match self {
            Principal::App(app) => app.scopes.contains(&Scope::Read),
            _ => true,
        }
    }

    /// Which articles the caller may see: the public ones, plus every article of the
    /// organizations an editor edits for, plus everything for administrators.
    pub fn article_visibility(&self, now: DateTime<Utc>) -> ArticleVisibility {
        match self {
            Principal::User(user) if user.role == Role::Administrator => {
                ArticleVisibility::Everything
            }
            Principal::User(user)
                if user.role == Role::Editor && !user.organizations.is_empty() =>
            {
                ArticleVisibility::Editor {
                    now,
                    organizations: user.organizations.clone(),
                }
            }
            _ => ArticleVisibility::Public { now },
        }
    }

    /// Whether the caller may read the private data (email, check-ins, saves) of `user_id`.
    pub fn may_read_private_of(&self, user_id: Uuid) -> bool {
        match self {
            Principal::User(user) => user.user_id == user_id || user.role == Role::Administrator,
            _ => false,
        }
    }

    /// The key and tier of the caller's query budget; anonymous callers are counted by
    /// client address instead.
    pub fn budget(&self) -> Option<(String, RateTier)> {
        match self {
            Principal::User(user) => Some((format!("user:{}", user.user_id), RateTier::User)),
            Principal::App(app) => Some((format!("token:{}", app.token_id), app.tier)),
            Principal::Anonymous => None,
        }
    }
}
