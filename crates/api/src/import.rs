//! Importing a publisher's agenda from a JSON file: an array of events in the shape of
//! `upsertEvent`'s input, each with its `externalId`, read as the API reads that input,
//! checked by the domain and upserted one by one through the events service by the command
//! line's operator (`import:<source>` in the audit log). An invalid item is reported with
//! its index and fields and nothing of it is stored; the others are imported.

use async_graphql::InputType;
use capitole_domain::agenda::{DefaultPublisher, ExternalKey, Names};
use capitole_domain::editorial::FieldErrors;
use capitole_domain::event::{EventDraft, EventForm};
use capitole_persistence::{Database, Outcome, catalog};
use capitole_services::references::references;
use capitole_services::{Principal, Services, events};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::error::ApiError;
use crate::mutation::agenda::both;
use crate::mutation::events::input::EventInput;

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

/// One item of the file as read: its id in the publisher's system and its form (with the
/// fields that failed while reading it), or why it cannot be read.
type Item = Result<(String, EventForm, FieldErrors), String>;

/// Reads the item at `index` of a file from `source`.
fn read(index: usize, mut item: serde_json::Value, source: &str) -> Item {
    let external_id = match item.as_object_mut().map(|o| o.remove("externalId")) {
        Some(Some(serde_json::Value::String(id))) => id,
        Some(Some(serde_json::Value::Number(n))) => n.to_string(),
        _ => {
            return Err(format!(
                "item {index}: externalId: give the event's id in {source}"
            ));
        }
    };
    let value = async_graphql::Value::from_json(item).map_err(|e| format!("item {index}: {e}"))?;
    let input = EventInput::parse(Some(value)).map_err(|e| {
        format!(
            "item {index}: {}",
            e.into_server_error(Default::default()).message
        )
    })?;
    let mut errors = FieldErrors::default();
    let form = input.into_form(&mut errors);
    Ok((external_id, form, errors))
}

/// Upserts the events of `json` for `source`, published by `publishers` (slugs, in order)
/// unless an item names its own `publishers`.
pub async fn import_events(
    db: &Database,
    timezone: Tz,
    source: &str,
    publishers: &[String],
    json: &str,
    now: DateTime<Utc>,
) -> Result<ImportReport, ApiError> {
    if publishers.is_empty() {
        return Err(ApiError::bad_input(
            "name the organizations that publish the events (their slugs)",
        ));
    }
    let mut publisher_ids = Vec::with_capacity(publishers.len());
    for slug in publishers {
        let organization = catalog::organization_by_slug(db, slug)
            .await?
            .ok_or_else(|| ApiError::bad_input(format!("no organization has the slug `{slug}`")))?;
        if !publisher_ids.contains(&organization.id) {
            publisher_ids.push(organization.id);
        }
    }
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
    let services = Services {
        db: db.clone(),
        timezone,
    };
    let operator = Principal::operator(&format!("import:{source}"));
    let items: Vec<Item> = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| read(index, item, source))
        .collect();
    // The names of the whole file are looked up at once.
    let mut names = Names::default();
    for (_, form, _) in items.iter().flatten() {
        form.names(&mut names);
    }
    let mut references = references(&services, &operator, &names).await?;
    references.publisher = DefaultPublisher::Organizations(publisher_ids);
    let mut report = ImportReport::default();
    for (index, item) in items.into_iter().enumerate() {
        let (external_id, form, errors) = match item {
            Ok(read) => read,
            Err(refusal) => {
                report.refused.push(refusal);
                continue;
            }
        };
        let key = ExternalKey::parse(source, &external_id);
        let draft = EventDraft::parse(form, &references, timezone, now);
        let (key, draft) = match both(both(key, draft), errors.into_result(())) {
            Ok((keyed, ())) => keyed,
            Err(errors) => {
                for e in errors.fields() {
                    report.refused.push(format!(
                        "item {index} ({external_id}): {}: {}",
                        e.field, e.message
                    ));
                }
                continue;
            }
        };
        match events::upsert(&services, &operator, &key, draft, false, now).await {
            Ok(Some((_, Outcome::Created))) => report.created += 1,
            Ok(Some((_, Outcome::Updated))) => report.updated += 1,
            Ok(_) => report.unchanged += 1,
            Err(e) => report
                .refused
                .push(format!("item {index} ({external_id}): {}", e.message())),
        }
    }
    Ok(report)
}
