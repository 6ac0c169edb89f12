//! Translations of the texts of articles, events and places, one row per item, language and
//! field,
//! with the fingerprint of the original each was made from. Writing translations is an edit
//! of the item: its version goes up, with an audit entry and an `UPDATED` change-log entry,
//! in one transaction, so that caches, exports and followers of the change log see it.

use std::collections::HashMap;

use capitole_domain::audit::AuditAction;
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::language::Language;
use capitole_domain::opening_hours::{OpeningHours, notes_of, notes_text};
use capitole_domain::translation::{CatalogKind, TranslatedField, fingerprint};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use crate::article::article_updated;
use crate::audit::{Actor, audit};
use crate::edits::{record_change, stale};
use crate::entities::{article, category, event, neighborhood, place, translation};
use crate::places::opening_hours;
use crate::publishers::{self, Published};
use crate::{Database, StorageError};

/// The translations of these items, by item, in language then field order.
pub async fn of_items(
    db: &Database,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, Vec<translation::Model>)>, StorageError> {
    let rows = translation::Entity::find()
        .filter(translation::Column::ItemId.is_in(ids.iter().copied()))
        .order_by_asc(translation::Column::ItemId)
        .order_by_asc(translation::Column::Language)
        .order_by_asc(translation::Column::Field)
        .all(db.connection())
        .await?;
    let mut grouped: HashMap<Uuid, Vec<translation::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.item_id).or_default().push(row);
    }
    Ok(grouped.into_iter().collect())
}

/// Writes (or removes, for `None`) texts of the article, event or place `id` in `language`, each
/// remembering the fingerprint of its original now, at the item's `expected_version`.
/// `access` sees the item's publishers and says who acts. Returns the item's new version.
#[allow(clippy::too_many_arguments, reason = "one write of one item's texts")]
pub async fn set<E: From<StorageError>>(
    db: &Database,
    kind: ItemKind,
    id: Uuid,
    expected_version: i64,
    language: &Language,
    texts: &[(TranslatedField, Option<String>)],
    now: DateTime<Utc>,
    access: impl FnOnce(&[Uuid]) -> Result<Actor, E>,
) -> Result<i64, E> {
    let txn = db.begin_write().await?;
    let (version, originals, publishers) = match kind {
        ItemKind::Event => {
            let row = event::Entity::find_by_id(id)
                .one(&txn)
                .await
                .map_err(StorageError::from)?
                .ok_or(StorageError::NotFound)?;
            let originals = [
                (TranslatedField::Title, row.title.clone()),
                (TranslatedField::Summary, row.summary.clone()),
                (TranslatedField::Description, row.description.clone()),
                (
                    TranslatedField::EasyReadSummary,
                    row.easy_read_summary.clone().unwrap_or_default(),
                ),
            ];
            let publishers = publishers::ids_of_one(&txn, Published::Event, id).await?;
            (row.version, originals.to_vec(), publishers)
        }
        ItemKind::Place => {
            let row = place::Entity::find_by_id(id)
                .one(&txn)
                .await
                .map_err(StorageError::from)?
                .ok_or(StorageError::NotFound)?;
            let hours = opening_hours(&row);
            let originals = [
                (TranslatedField::Name, row.name.clone()),
                (TranslatedField::Description, row.description.clone()),
                (
                    TranslatedField::EasyReadSummary,
                    row.easy_read_summary.clone().unwrap_or_default(),
                ),
                (TranslatedField::OpeningHoursNotes, notes_text(&hours)),
            ];
            if let Some(date) = noteless_date(&hours, texts) {
                return Err(StorageError::BadRequest(format!(
                    "openingHoursNotes: the place has no exception with a note on {date}"
                ))
                .into());
            }
            let publishers = publishers::ids_of_one(&txn, Published::Place, id).await?;
            (row.version, originals.to_vec(), publishers)
        }
        ItemKind::Article => {
            let row = article::Entity::find_by_id(id)
                .one(&txn)
                .await
                .map_err(StorageError::from)?
                .ok_or(StorageError::NotFound)?;
            let originals = [
                (TranslatedField::Title, row.title.clone()),
                (TranslatedField::Summary, row.summary.clone()),
                (TranslatedField::Body, row.body.clone()),
                (
                    TranslatedField::EasyReadSummary,
                    row.easy_read_summary.clone().unwrap_or_default(),
                ),
            ];
            let publishers = publishers::ids_of_one(&txn, Published::Article, id).await?;
            (row.version, originals.to_vec(), publishers)
        }
        ItemKind::Tip | ItemKind::Organization => {
            return Err(StorageError::NotFound.into());
        }
    };
    let actor = access(&publishers)?;
    if version != expected_version {
        return Err(stale(expected_version, version).into());
    }
    let mut changes = serde_json::Map::new();
    for (field, text) in texts {
        let key = translation::Entity::delete_many()
            .filter(translation::Column::ItemId.eq(id))
            .filter(translation::Column::Language.eq(language.code()))
            .filter(translation::Column::Field.eq(field.code()));
        match text {
            None => {
                key.exec(&txn).await.map_err(StorageError::from)?;
                changes.insert(field.input_name().into(), json!({ "to": null }));
            }
            Some(text) => {
                let original = originals
                    .iter()
                    .find(|(f, _)| f == field)
                    .map(|(_, o)| o.as_str())
                    .unwrap_or_default();
                let row = Text {
                    item_kind: kind.code(),
                    item_id: id,
                    language,
                    field: *field,
                    text,
                    original,
                };
                write(&txn, &row, now).await?;
                changes.insert(field.input_name().into(), json!({ "to": text }));
            }
        }
    }
    let new_version = version + 1;
    let bumped = match kind {
        ItemKind::Article => {
            article::Entity::update_many()
                .set(article::ActiveModel {
                    version: Set(new_version),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(article::Column::Id.eq(id))
                .filter(article::Column::Version.eq(version))
                .exec(&txn)
                .await
        }
        ItemKind::Event => {
            event::Entity::update_many()
                .set(event::ActiveModel {
                    version: Set(new_version),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(event::Column::Id.eq(id))
                .filter(event::Column::Version.eq(version))
                .exec(&txn)
                .await
        }
        _ => {
            place::Entity::update_many()
                .set(place::ActiveModel {
                    version: Set(new_version),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(place::Column::Id.eq(id))
                .filter(place::Column::Version.eq(version))
                .exec(&txn)
                .await
        }
    }
    .map_err(StorageError::from)?
    .rows_affected;
    if bumped == 0 {
        return Err(stale(version, new_version).into());
    }
    let entry = json!({ "language": language.code(), "texts": changes });
    audit(&txn, &actor, kind, id, AuditAction::Translate, entry, now).await?;
    if kind == ItemKind::Article {
        // An article's entry is public only while the article is.
        article_updated(&txn, id, now).await?;
    } else {
        record_change(
            &txn,
            kind,
            id,
            ChangeKind::Updated,
            new_version,
            publishers.first().copied(),
            now,
        )
        .await?;
    }
    txn.commit().await.map_err(StorageError::from)?;
    Ok(new_version)
}

/// A date of the notes `texts` translate on which `hours` has no exception with a note.
fn noteless_date(
    hours: &OpeningHours,
    texts: &[(TranslatedField, Option<String>)],
) -> Option<chrono::NaiveDate> {
    let originals = notes_of(&notes_text(hours));
    texts
        .iter()
        .filter(|(field, _)| *field == TranslatedField::OpeningHoursNotes)
        .filter_map(|(_, text)| text.as_deref())
        .flat_map(|text| notes_of(text).into_keys())
        .find(|date| !originals.contains_key(date))
}

/// Writes (or removes, for `None`) the name of the category or neighbourhood `id` in
/// `language`, remembering the fingerprint of its original name. Categories and
/// neighbourhoods have no versions and are not in the change log: answers holding them live
/// no longer than their cache hints.
pub async fn set_catalog_name(
    db: &Database,
    kind: CatalogKind,
    id: Uuid,
    language: &Language,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let conn = db.connection();
    let original = match kind {
        CatalogKind::Category => category::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|row| row.name),
        CatalogKind::Neighborhood => neighborhood::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|row| row.name),
    }
    .ok_or(StorageError::NotFound)?;
    let key = translation::Entity::delete_many()
        .filter(translation::Column::ItemId.eq(id))
        .filter(translation::Column::Language.eq(language.code()))
        .filter(translation::Column::Field.eq(TranslatedField::Name.code()));
    let Some(name) = name else {
        key.exec(conn).await?;
        return Ok(());
    };
    let row = Text {
        item_kind: kind.code(),
        item_id: id,
        language,
        field: TranslatedField::Name,
        text: name,
        original: &original,
    };
    write(conn, &row, now).await
}

/// A translated text to write, with the original it translates.
struct Text<'a> {
    item_kind: &'a str,
    item_id: Uuid,
    language: &'a Language,
    field: TranslatedField,
    text: &'a str,
    original: &'a str,
}

/// Writes `row`, replacing the text of the same item, language and field.
async fn write(
    conn: &impl ConnectionTrait,
    row: &Text<'_>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    translation::Entity::insert(translation::ActiveModel {
        item_kind: Set(row.item_kind.to_owned()),
        item_id: Set(row.item_id),
        language: Set(row.language.code().to_owned()),
        field: Set(row.field.code().to_owned()),
        text: Set(row.text.to_owned()),
        source_fingerprint: Set(fingerprint(row.original)),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            translation::Column::ItemId,
            translation::Column::Language,
            translation::Column::Field,
        ])
        .update_columns([
            translation::Column::Text,
            translation::Column::SourceFingerprint,
            translation::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}
