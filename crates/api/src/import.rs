//! Importing a publisher's agenda from a JSON file: an array of events in the shape of
//! `upsertEvent`'s input, each with its `externalId`, upserted one by one with the same
//! checks as the API. An invalid item is reported with its index and fields and nothing of
//! it is stored; the others are imported.

use std::sync::Arc;

use async_graphql::InputType;
use capitole_domain::access::Role;
use capitole_persistence::audit::Actor;
use capitole_persistence::{Database, catalog};
use capitole_services::auth::jwt::SigningKey;
use capitole_services::auth::{Auth, secrets};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::ApiContext;
use crate::auth::{Principal, SignedIn};
use crate::context::RequestScope;
use crate::error::{ApiError, ErrorCode};
use crate::mutation::agenda::{EventInput, UpsertOutcome, upsert_one_event};

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// New events.
    pub created: usize,
    /// Events that changed.
    pub updated: usize,
    /// Events already as the file says.
    pub unchanged: usize,
    /// Items refused, as `item N: field: message`.
    pub refused: Vec<String>,
}

/// The most items one file may hold.
pub const MAX_ITEMS: usize = 10_000;

/// Upserts the events of `json` for `source`, organized by `organization` (a slug) unless an
/// item names its own `organizer`.
pub async fn import_events(
    db: &Database,
    timezone: Tz,
    source: &str,
    organization: &str,
    json: &str,
    now: DateTime<Utc>,
) -> Result<ImportReport, ApiError> {
    let organization = catalog::organization_by_slug(db, organization)
        .await?
        .ok_or_else(|| {
            ApiError::bad_input(format!("no organization has the slug `{organization}`"))
        })?;
    let items: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
        ApiError::bad_input(format!(
            "the file is not a JSON array of events: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if items.len() > MAX_ITEMS {
        return Err(ApiError::bad_input(format!(
            "a file holds at most {MAX_ITEMS} events (this one has {})",
            items.len()
        )));
    }
    let key = SigningKey::parse(&format!("import:{}", secrets::new_signing_secret()))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    let auth = Auth::load(vec![key])
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    let api = ApiContext {
        db: db.clone(),
        timezone,
        batch_delay: std::time::Duration::from_millis(1),
        auth: Arc::new(auth),
        caches: Default::default(),
        accounts: Default::default(),
        change_retention: Default::default(),
    };
    // The command line acts with the rights of an administrator of the organization.
    let principal = Principal::User(SignedIn {
        user_id: uuid::Uuid::nil(),
        session: uuid::Uuid::nil(),
        role: Role::Administrator,
        organizations: Arc::from(vec![organization.id]),
        display_name: Arc::from(format!("import from {source}")),
    });
    let scope = RequestScope::new(&api, now, principal, None);
    let actor = Actor {
        user_id: None,
        label: format!("import from {source}"),
        organization: Some(organization.id),
    };
    let mut report = ImportReport::default();
    for (index, mut item) in items.into_iter().enumerate() {
        let external_id = match item.as_object_mut().map(|o| o.remove("externalId")) {
            Some(Some(serde_json::Value::String(id))) => id,
            Some(Some(serde_json::Value::Number(n))) => n.to_string(),
            _ => {
                report.refused.push(format!(
                    "item {index}: externalId: give the event's id in {source}"
                ));
                continue;
            }
        };
        let value = match async_graphql::Value::from_json(item) {
            Ok(value) => value,
            Err(e) => {
                report.refused.push(format!("item {index}: {e}"));
                continue;
            }
        };
        let input = match EventInput::parse(Some(value)) {
            Ok(input) => input,
            Err(e) => {
                report.refused.push(format!(
                    "item {index}: {}",
                    e.into_server_error(Default::default()).message
                ));
                continue;
            }
        };
        let result = upsert_one_event(
            &scope,
            source,
            &external_id,
            input,
            Some(organization.id),
            false,
            Some(actor.clone()),
        )
        .await;
        match result {
            Ok(Ok((_, UpsertOutcome::Created))) => report.created += 1,
            Ok(Ok((_, UpsertOutcome::Updated))) => report.updated += 1,
            Ok(Ok((_, _))) => report.unchanged += 1,
            Ok(Err(errors)) => {
                for e in errors.fields() {
                    report.refused.push(format!(
                        "item {index} ({external_id}): {}: {}",
                        e.field, e.message
                    ));
                }
            }
            Err(e) => report
                .refused
                .push(format!("item {index} ({external_id}): {}", e.message)),
        }
    }
    Ok(report)
}
