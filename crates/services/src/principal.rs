//! Who is acting: an anonymous caller, a signed-in person or a third-party app, and the
//! policy methods that are the one place access is decided. The HTTP front handler makes a
//! principal from credentials; the command line and the scheduler act as the principals
//! they are given.

use std::sync::Arc;

use capitole_domain::access::{RateTier, Role, Scope};
use capitole_domain::editorial::FieldErrors;
use capitole_persistence::articles::ArticleVisibility;
use capitole_persistence::audit::Actor;
use capitole_persistence::changes::ChangeReader;
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
    /// The city's own operator: the command line (an import) or a background job (the
    /// scheduler), acting on the city's content with an editor's rights for every
    /// organization, named in the audit log by its label. It never acts on accounts.
    Operator(Arc<str>),
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
            Principal::Operator(_) => Err(ServiceError::new(
                ErrorCode::Forbidden,
                "this needs a person's account",
            )),
        }
    }

    /// The operator of the command line or of a background job, named `label` in the audit
    /// log.
    pub fn operator(label: &str) -> Self {
        Principal::Operator(label.into())
    }

    /// The actor an operator is recorded as, acting for `organization`.
    fn operator_actor(label: &str, organization: Option<Uuid>) -> Actor {
        Actor {
            user_id: None,
            label: label.to_owned(),
            organization,
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

    /// Whether the caller publishes at all: editors, administrators and operators; an
    /// anonymous caller must sign in, others are refused. Which items they may publish is
    /// [`Principal::editor_of`]'s question.
    pub fn publisher(&self) -> Result<(), ServiceError> {
        match self {
            Principal::App(_) => Err(ServiceError::new(
                ErrorCode::Forbidden,
                "app tokens cannot publish; sign in as an editor",
            )),
            Principal::Operator(_) => Ok(()),
            other if other.user()?.role == Role::Citizen => Err(ServiceError::new(
                ErrorCode::Forbidden,
                "only editors and administrators publish",
            )),
            _ => Ok(()),
        }
    }

    /// The actor of an editorial write on an item published by `organizations`: an
    /// administrator, or an editor of at least one of them. The audit log records the
    /// first organization they share with the item.
    pub fn editor_of(&self, organizations: &[Uuid]) -> Result<Actor, ServiceError> {
        self.publisher()?;
        let user = match self {
            Principal::Operator(label) => {
                return Ok(Self::operator_actor(label, organizations.first().copied()));
            }
            other => other.user()?,
        };
        let actor = |organization: Option<Uuid>| Actor {
            user_id: Some(user.user_id),
            label: user.display_name.to_string(),
            organization,
        };
        if user.role == Role::Administrator {
            return Ok(actor(organizations.first().copied()));
        }
        organizations
            .iter()
            .find(|o| user.organizations.contains(o))
            .map(|o| actor(Some(*o)))
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorCode::Forbidden,
                    "you do not edit for the organizations that publish this",
                )
            })
    }

    /// The actor of an editorial write on a place published by `publishers`: as
    /// [`Principal::editor_of`]; places without publishers are the administrators' (and the
    /// operators').
    pub fn editor_of_place(&self, publishers: &[Uuid]) -> Result<Actor, ServiceError> {
        match self {
            Principal::User(user) if user.role == Role::Editor && publishers.is_empty() => {
                Err(ServiceError::new(
                    ErrorCode::Forbidden,
                    "only administrators edit places without publishers",
                ))
            }
            principal => principal.editor_of(publishers),
        }
    }

    /// The publishers an item has once its editor names `named`, when it has `current`
    /// (none for a new item): the ones named that the caller edits for, and every current
    /// one they do not edit for (which they can neither add nor remove). Naming an
    /// organization one does not edit for, unless it already publishes the item, fails
    /// `publishers[i]`. Administrators and operators name any.
    pub fn publishers_after(
        &self,
        current: &[Uuid],
        named: &[Uuid],
    ) -> Result<Vec<Uuid>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut kept: Vec<Uuid> = current
            .iter()
            .copied()
            .filter(|o| self.editor_of(&[*o]).is_err())
            .collect();
        for (i, organization) in named.iter().enumerate() {
            if self.editor_of(&[*organization]).is_err() {
                if !current.contains(organization) {
                    errors.add(
                        format!("publishers[{i}]"),
                        "you do not edit for this organization",
                    );
                }
            } else if !kept.contains(organization) {
                kept.push(*organization);
            }
        }
        errors.into_result(kept)
    }

    /// Checks an upsert, which replaces an item's publishers with `named` as a whole: like
    /// [`Self::publishers_after`], and an organization the caller does not edit for that
    /// publishes the item must stay named (an upsert cannot drop a co-publisher that an
    /// update would keep).
    pub fn publishers_replaced(&self, current: &[Uuid], named: &[Uuid]) -> Result<(), FieldErrors> {
        let after = self.publishers_after(current, named)?;
        let mut errors = FieldErrors::default();
        if after.iter().any(|kept| !named.contains(kept)) {
            errors.add(
                "publishers",
                "an organization you do not edit for also publishes this item: name it too",
            );
        }
        errors.into_result(())
    }

    /// The organizations a person edits for, which publish what they write unless they name
    /// others (articles, events and places alike); `None` for operators, apps, anonymous
    /// callers and people who edit for none.
    pub fn own_organizations(&self) -> Option<Vec<Uuid>> {
        match self {
            Principal::User(user) if !user.organizations.is_empty() => {
                Some(user.organizations.to_vec())
            }
            _ => None,
        }
    }

    /// The actor of a moderation (hiding or restoring a tip) at a place published by
    /// `publishers`: editors and administrators, who moderate every place. The audit log
    /// records the first of the place's publishers the moderator may act for, so that its
    /// editors read what was done at their places; an editor of none of them is recorded
    /// for their own organization, so that their colleagues read it.
    pub fn moderator(&self, publishers: &[Uuid]) -> Result<Actor, ServiceError> {
        if let Principal::Operator(label) = self {
            return Ok(Self::operator_actor(label, publishers.first().copied()));
        }
        let user = self.user()?;
        let organization = match user.role {
            Role::Administrator => publishers.first().copied(),
            Role::Editor => publishers
                .iter()
                .find(|o| user.organizations.contains(o))
                .or_else(|| user.organizations.first())
                .copied(),
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
        if let Principal::Operator(_) = self {
            return Ok(None);
        }
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
        match self {
            Principal::User(user) => user.role != Role::Citizen,
            Principal::Operator(_) => true,
            _ => false,
        }
    }

    /// Whether the caller may read the drafts of `organizations`' items.
    pub fn may_preview(&self, organizations: &[Uuid]) -> bool {
        match self {
            Principal::User(user) => match user.role {
                Role::Administrator => true,
                Role::Editor => organizations.iter().any(|o| user.organizations.contains(o)),
                Role::Citizen => false,
            },
            Principal::Operator(_) => true,
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
            Principal::Operator(_) => ArticleVisibility::Everything,
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

    /// Which entries of the change log the caller may read: those of public items, plus
    /// those of the organizations an editor edits for, plus everything for administrators
    /// and operators.
    pub fn change_reader(&self) -> ChangeReader {
        match self {
            Principal::User(user) => match user.role {
                Role::Administrator => ChangeReader::Everything,
                Role::Editor => ChangeReader::Editor(user.organizations.clone()),
                Role::Citizen => ChangeReader::Public,
            },
            Principal::Operator(_) => ChangeReader::Everything,
            Principal::Anonymous | Principal::App(_) => ChangeReader::Public,
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
            Principal::Anonymous | Principal::Operator(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_edits_for_every_organization_under_its_label_but_is_nobody() {
        let organization = Uuid::from_u128(7);
        let operator = Principal::operator("import:agenda");
        let actor = operator.editor_of(&[organization]).map_err(|e| e.code());
        assert_eq!(
            actor
                .as_ref()
                .map(|a| (a.user_id, a.label.as_str(), a.organization)),
            Ok((None, "import:agenda", Some(organization)))
        );
        assert_eq!(
            operator.user().map(|_| ()).map_err(|e| e.code()),
            Err(ErrorCode::Forbidden)
        );
        assert!(operator.budget().is_none());
        assert!(!operator.may_read_private_of(Uuid::from_u128(1)));
    }

    #[test]
    fn an_app_never_publishes_and_an_anonymous_caller_must_sign_in() {
        let app = Principal::App(App {
            token_id: Uuid::from_u128(1),
            scopes: vec![Scope::Read],
            tier: RateTier::Standard,
        });
        assert_eq!(
            app.editor_of(&[]).map(|_| ()).map_err(|e| e.code()),
            Err(ErrorCode::Forbidden)
        );
        assert_eq!(
            Principal::Anonymous
                .editor_of(&[])
                .map(|_| ())
                .map_err(|e| e.code()),
            Err(ErrorCode::Unauthenticated)
        );
    }

    fn editor(organizations: &[Uuid]) -> Principal {
        Principal::User(SignedIn {
            user_id: Uuid::from_u128(1),
            session: Uuid::from_u128(2),
            role: Role::Editor,
            organizations: Arc::from(organizations),
            display_name: Arc::from("Camille"),
        })
    }

    #[test]
    fn places_without_publishers_are_the_administrators_and_an_editor_publishes_for_their_own() {
        let ville = Uuid::from_u128(7);
        let metropole = Uuid::from_u128(8);
        let editor = editor(&[ville]);
        assert!(editor.publisher().is_ok());
        assert_eq!(editor.own_organizations(), Some(vec![ville]));
        assert_eq!(
            editor
                .editor_of_place(&[])
                .map(|_| ())
                .map_err(|e| e.code()),
            Err(ErrorCode::Forbidden)
        );
        assert!(editor.editor_of_place(&[ville]).is_ok());
        let co_published = editor.editor_of_place(&[metropole, ville]);
        assert_eq!(
            co_published.map(|a| a.organization).map_err(|e| e.code()),
            Ok(Some(ville))
        );
        assert_eq!(
            editor
                .editor_of_place(&[metropole])
                .map(|_| ())
                .map_err(|e| e.code()),
            Err(ErrorCode::Forbidden)
        );
        let operator = Principal::operator("import:agenda");
        assert!(operator.editor_of_place(&[]).is_ok());
        assert_eq!(operator.own_organizations(), None);
        let both = self::editor(&[ville, metropole]);
        assert_eq!(both.own_organizations(), Some(vec![ville, metropole]));
        assert_eq!(
            Principal::Anonymous.publisher().map_err(|e| e.code()),
            Err(ErrorCode::Unauthenticated)
        );
    }

    #[test]
    fn an_editor_names_only_their_own_publishers_and_keeps_the_others() {
        let ville = Uuid::from_u128(7);
        let metropole = Uuid::from_u128(8);
        let editor = editor(&[ville]);
        assert_eq!(editor.publishers_after(&[], &[ville]), Ok(vec![ville]));
        let refused = editor
            .publishers_after(&[], &[ville, metropole])
            .err()
            .map(|e| e.fields()[0].field.clone());
        assert_eq!(refused.as_deref(), Some("publishers[1]"));
        // The metropolis co-publishes: the city's editor keeps it, and may name it.
        assert_eq!(
            editor.publishers_after(&[metropole, ville], &[ville]),
            Ok(vec![metropole, ville])
        );
        assert_eq!(
            editor.publishers_after(&[metropole], &[metropole, ville]),
            Ok(vec![metropole, ville])
        );
        assert_eq!(
            Principal::operator("import:agenda").publishers_after(&[ville], &[metropole]),
            Ok(vec![metropole])
        );
        // An upsert names every publisher: the city's editor cannot drop the metropolis.
        assert!(
            editor
                .publishers_replaced(&[metropole, ville], &[metropole, ville])
                .is_ok()
        );
        let dropped = editor
            .publishers_replaced(&[metropole, ville], &[ville])
            .err()
            .map(|e| e.fields()[0].field.clone());
        assert_eq!(dropped.as_deref(), Some("publishers"));
        assert!(
            Principal::operator("import:agenda")
                .publishers_replaced(&[metropole], &[ville])
                .is_ok()
        );
    }
}
