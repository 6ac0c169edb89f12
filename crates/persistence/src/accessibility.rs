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
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::StorageError;
use crate::audit::{Actor, audit_all};
use crate::changes::{self, NewChange};
use crate::edits::{encode_set, stale};
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
/// entry, in a few statements whatever their number. An event edited meanwhile makes the
/// whole transaction stale.
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
    let changed: Vec<_> = events
        .into_iter()
        .filter(|(_, _, old_families, old_features)| {
            (old_families, old_features) != (&families, &features)
        })
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    // Each event at the version read: one edited meanwhile makes the count fall short.
    let read_versions = changed
        .iter()
        .fold(Condition::any(), |any, (id, version, ..)| {
            any.add(
                Condition::all()
                    .add(event::Column::Id.eq(*id))
                    .add(event::Column::Version.eq(*version)),
            )
        });
    let updated = event::Entity::update_many()
        .col_expr(event::Column::Accessibility, Expr::value(families.clone()))
        .col_expr(
            event::Column::AccessibilityFeatures,
            Expr::value(features.clone()),
        )
        .col_expr(
            event::Column::Version,
            Expr::col(event::Column::Version).add(1),
        )
        .col_expr(event::Column::UpdatedAt, Expr::value(now))
        .filter(event::Column::PlaceId.eq(venue))
        .filter(read_versions)
        .exec(txn)
        .await?
        .rows_affected;
    if updated != changed.len() as u64 {
        let (_, version, ..) = changed[0];
        return Err(stale(version, version + 1));
    }
    let entries = changed
        .iter()
        .map(|(id, _, old_families, old_features)| {
            let changes = json!({
                "accessibility": { "from": old_families, "to": families },
                "accessibilityFeatures": { "from": old_features, "to": features },
                "from": { "venue": venue },
            });
            (*id, changes)
        })
        .collect();
    audit_all(
        txn,
        actor,
        ItemKind::Event,
        AuditAction::Update,
        entries,
        now,
    )
    .await?;
    let ids: Vec<Uuid> = changed.iter().map(|(id, ..)| *id).collect();
    let publishers = publishers::ids_of(txn, Published::Event, &ids).await?;
    let logged: Vec<NewChange> = changed
        .iter()
        .map(|(id, version, ..)| NewChange {
            kind: ItemKind::Event,
            id: *id,
            change: ChangeKind::Updated,
            version: version + 1,
            organization: publishers.get(id).and_then(|p| p.first().copied()),
            public: true,
            at: now,
        })
        .collect();
    changes::append_all(txn, &logged).await?;
    Ok(())
}
