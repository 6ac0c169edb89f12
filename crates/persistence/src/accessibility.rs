//! How accessibility is stored: families and features as two `|CODE|…|` columns on places
//! and events. An event that states none keeps its venue's in its own columns, so that the
//! agenda's filters and facets read one column whatever the source; a place whose
//! accessibility changes passes it on to those events, each with a new version, an audit
//! entry and an `UPDATED` change-log entry, in the place's transaction.

use capitole_domain::accessibility::{AccessibilityFeature, AccessibilityStatement};
use capitole_domain::audit::AuditAction;
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::event::Accessibility;
use capitole_domain::text::decode_codes;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::StorageError;
use crate::audit::{Actor, audit};
use crate::edits::{encode_set, record_change, stale};
use crate::entities::{event, place};
use crate::publishers::{self, Published};
use crate::sql::Sql;

/// A statement as its two columns store it: families, then features.
pub(crate) fn encode(statement: &AccessibilityStatement) -> (String, String) {
    (
        encode_set(statement.families().iter().map(|a| a.code())),
        encode_set(statement.features().iter().map(|f| f.code())),
    )
}

/// The statement two stored columns hold; codes this version does not know are left out.
pub fn decode(families: &str, features: &str) -> AccessibilityStatement {
    AccessibilityStatement::new(
        decode_codes(families).filter_map(Accessibility::from_code),
        decode_codes(features).filter_map(AccessibilityFeature::from_code),
    )
}

/// Keeps the items of the table aliased `alias` (places or events) that are prepared for
/// every family and have every feature given.
pub(crate) fn push_having(
    sql: &mut Sql,
    alias: &str,
    families: &[Accessibility],
    features: &[AccessibilityFeature],
) {
    let families = families.iter().map(|a| ("accessibility", a.code()));
    let features = features
        .iter()
        .map(|f| ("accessibility_features", f.code()));
    for (column, code) in families.chain(features) {
        sql.push(" AND ")
            .contains(&format!("{alias}.{column}"), &format!("|{code}|"));
    }
}

/// The accessibility of the place `venue` (none when there is no venue or it is gone).
pub(crate) async fn of_venue(
    conn: &impl ConnectionTrait,
    venue: Option<Uuid>,
) -> Result<AccessibilityStatement, StorageError> {
    let Some(id) = venue else {
        return Ok(AccessibilityStatement::default());
    };
    let columns = place::Entity::find_by_id(id)
        .select_only()
        .column(place::Column::Accessibility)
        .column(place::Column::AccessibilityFeatures)
        .into_tuple::<(String, String)>()
        .one(conn)
        .await?;
    Ok(
        columns.map_or_else(AccessibilityStatement::default, |(families, features)| {
            decode(&families, &features)
        }),
    )
}

/// Passes the accessibility `to` of the place `venue` on to the events there that state
/// none: each gets a new version, an audit entry (as `actor`) and an `UPDATED` change-log
/// entry. An event edited meanwhile makes the whole transaction stale.
pub(crate) async fn pass_on(
    txn: &DatabaseTransaction,
    venue: Uuid,
    to: &AccessibilityStatement,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let (families, features) = encode(to);
    let events: Vec<(Uuid, i64, String, String)> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .column(event::Column::Version)
        .column(event::Column::Accessibility)
        .column(event::Column::AccessibilityFeatures)
        .filter(event::Column::PlaceId.eq(venue))
        .filter(event::Column::InheritsAccessibility.eq(true))
        .order_by_asc(event::Column::Id)
        .into_tuple()
        .all(txn)
        .await?;
    for (id, version, old_families, old_features) in events {
        if (&old_families, &old_features) == (&families, &features) {
            continue;
        }
        let updated = event::Entity::update_many()
            .set(event::ActiveModel {
                accessibility: Set(families.clone()),
                accessibility_features: Set(features.clone()),
                version: Set(version + 1),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(event::Column::Id.eq(id))
            .filter(event::Column::Version.eq(version))
            .exec(txn)
            .await?
            .rows_affected;
        if updated == 0 {
            return Err(stale(version, version + 1));
        }
        let changes = json!({
            "accessibility": { "from": old_families, "to": families },
            "accessibilityFeatures": { "from": old_features, "to": features },
            "from": { "venue": venue },
        });
        audit(
            txn,
            actor,
            ItemKind::Event,
            id,
            AuditAction::Update,
            changes,
            now,
        )
        .await?;
        let publisher = publishers::first_of(txn, Published::Event, id).await?;
        record_change(
            txn,
            ItemKind::Event,
            id,
            ChangeKind::Updated,
            version + 1,
            publisher,
            now,
        )
        .await?;
    }
    Ok(())
}
