//! What the GDPR asks of the personal data Capitole keeps: a person's export holds
//! everything stored about them, erasure leaves nothing that names them, and what is kept
//! only to protect the service (attempt counters, expired sessions) goes after a retention
//! period.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::accounts::{organizations_of_user, user_by_id};
use crate::entities::{
    api_token, article_revision, attendance, audit_entry, check_in, place_vote, refresh_token,
    save, session, social_post, tip, tip_like, tip_report, user,
};
use crate::sql::Sql;
use crate::{Database, StorageError, activity, throttle, tips};

/// How the audit trail names an erased person's past actions.
pub const ERASED_ACTOR: &str = "erased account";

/// Everything stored about a person, as one JSON document (password hash and token hashes
/// excepted: they are secrets, not information about the person).
pub async fn export_user(db: &Database, user_id: Uuid) -> Result<Option<Value>, StorageError> {
    let Some(found) = user_by_id(db, user_id).await? else {
        return Ok(None);
    };
    let conn = db.connection();
    let organizations = organizations_of_user(db, user_id).await?;
    let sessions = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .order_by_asc(session::Column::CreatedAt)
        .all(conn)
        .await?;
    let tokens = api_token::Entity::find()
        .filter(api_token::Column::CreatedBy.eq(user_id))
        .order_by_asc(api_token::Column::CreatedAt)
        .all(conn)
        .await?;
    let attempts = throttle::of_account(conn, &found.email).await?;
    let audit = audit_entry::Entity::find()
        .filter(audit_entry::Column::ActorId.eq(user_id))
        .order_by_asc(audit_entry::Column::At)
        .all(conn)
        .await?;
    let revisions = article_revision::Entity::find()
        .filter(article_revision::Column::AuthorId.eq(user_id))
        .order_by_asc(article_revision::Column::CreatedAt)
        .all(conn)
        .await?;
    let posts = social_post::Entity::find()
        .filter(social_post::Column::RecordedBy.eq(user_id))
        .order_by_asc(social_post::Column::CreatedAt)
        .all(conn)
        .await?;
    let push = crate::push::of_user(db, user_id).await?;
    let moderated = tip::Entity::find()
        .filter(tip::Column::HiddenBy.eq(user_id))
        .order_by_asc(tip::Column::HiddenAt)
        .all(conn)
        .await?;
    Ok(Some(json!({
        "account": {
            "id": found.id,
            "email": found.email,
            "displayName": found.display_name,
            "role": found.role,
            "createdAt": found.created_at,
            "updatedAt": found.updated_at,
            "passwordChangedAt": found.password_changed_at,
            "emailVerifiedAt": found.email_verified_at,
        },
        "privacy": {
            "checkInsPublic": found.check_ins_public,
            "hiddenFromMayor": found.hidden_from_mayor,
        },
        "organizations": organizations.iter().map(|o| json!({ "slug": o.slug, "name": o.name })).collect::<Vec<_>>(),
        "sessions": sessions.iter().map(|s| json!({
            "id": s.id,
            "createdAt": s.created_at,
            "refreshedAt": s.refreshed_at,
            "closedAt": s.revoked_at,
        })).collect::<Vec<_>>(),
        "apiTokensCreated": tokens.iter().map(|t| json!({
            "app": t.app_name,
            "hint": t.hint,
            "createdAt": t.created_at,
            "revokedAt": t.revoked_at,
        })).collect::<Vec<_>>(),
        "signInAttempts": attempts.iter().map(|a| json!({
            "counter": a.subject,
            "count": a.failures,
            "since": a.window_started_at,
        })).collect::<Vec<_>>(),
        "community": activity_of(db, user_id).await?,
        "pushSubscriptions": push.iter().map(|p| json!({
            "endpoint": p.endpoint,
            "news": p.news.as_deref().and_then(|news| serde_json::from_str::<Value>(news).ok()),
            "going": p.going,
            "startingSoonNearby": p.nearby().map(|n| json!({
                "latitude": n.latitude,
                "longitude": n.longitude,
                "radiusMeters": n.radius_meters,
                "withinMinutes": n.minutes,
            })),
            "createdAt": p.created_at,
            "lastSentAt": p.last_sent_at,
        })).collect::<Vec<_>>(),
        "editorial": {
            "auditEntries": audit.iter().map(|a| json!({
                "at": a.at,
                "action": a.action,
                "itemKind": a.item_kind,
                "itemId": a.item_id,
                "organization": a.organization_id,
                "changes": serde_json::from_str::<Value>(&a.changes).unwrap_or(Value::Null),
            })).collect::<Vec<_>>(),
            "articleRevisions": revisions.iter().map(|r| json!({
                "article": r.article_id,
                "version": r.version,
                "title": r.title,
                "status": r.status,
                "at": r.created_at,
            })).collect::<Vec<_>>(),
            "socialPostsRecorded": posts.iter().map(|p| json!({
                "itemKind": p.item_kind,
                "itemId": p.item_id,
                "network": p.network,
                "url": p.url,
                "postedAt": p.posted_at,
                "at": p.created_at,
            })).collect::<Vec<_>>(),
            "tipsModerated": moderated.iter().map(|t| json!({
                "tip": t.id,
                "hiddenAt": t.hidden_at,
            })).collect::<Vec<_>>(),
        },
    })))
}

/// A person's activity at places and events, for the export of their data.
async fn activity_of(db: &Database, user_id: Uuid) -> Result<Value, StorageError> {
    let conn = db.connection();
    let check_ins = check_in::Entity::find()
        .filter(check_in::Column::UserId.eq(user_id))
        .order_by_asc(check_in::Column::CreatedAt)
        .all(conn)
        .await?;
    let tips = tip::Entity::find()
        .filter(tip::Column::UserId.eq(user_id))
        .order_by_asc(tip::Column::CreatedAt)
        .all(conn)
        .await?;
    let votes = place_vote::Entity::find()
        .filter(place_vote::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let likes = tip_like::Entity::find()
        .filter(tip_like::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let reports = tip_report::Entity::find()
        .filter(tip_report::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let saves = save::Entity::find()
        .filter(save::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let going = attendance::Entity::find()
        .filter(attendance::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    Ok(json!({
        "checkIns": check_ins.iter().map(|c| json!({ "place": c.place_id, "at": c.created_at, "message": c.message })).collect::<Vec<_>>(),
        "tips": tips.iter().map(|t| json!({ "place": t.place_id, "text": t.text, "at": t.created_at, "hidden": t.hidden_at.is_some() })).collect::<Vec<_>>(),
        "placeVotes": votes.iter().map(|v| json!({ "place": v.place_id, "vote": v.vote, "at": v.updated_at })).collect::<Vec<_>>(),
        "tipLikes": likes.iter().map(|l| json!({ "tip": l.tip_id, "at": l.created_at })).collect::<Vec<_>>(),
        "tipReports": reports.iter().map(|r| json!({ "tip": r.tip_id, "reason": r.reason, "at": r.created_at })).collect::<Vec<_>>(),
        "saved": saves.iter().map(|s| json!({ "kind": s.item_kind, "id": s.item_id, "at": s.created_at })).collect::<Vec<_>>(),
        "going": going.iter().map(|g| json!({ "date": g.occurrence_id, "at": g.created_at })).collect::<Vec<_>>(),
    }))
}

/// Erases an account and its personal data, in one transaction: sessions, attempt counters
/// and editor links go with it, its tips are deleted (the change log records each
/// `DELETED`), and what its activity counted is recounted (places' popularity follows at
/// the next fold of check-ins, which records the places that changed). What the person
/// did for an organization stays (an article's revisions, the audit trail, recorded social
/// posts, moderated tips) but no longer names them. App tokens it created stay, since they
/// belong to the apps.
pub async fn delete_user(
    db: &Database,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let Some(found) = user_by_id(db, user_id).await? else {
        return Ok(false);
    };
    let txn = db.begin_write().await?;
    throttle::forget_account(&txn, &found.email).await?;
    audit_entry::Entity::update_many()
        .col_expr(
            audit_entry::Column::ActorId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(audit_entry::Column::Actor, Expr::value(ERASED_ACTOR))
        .filter(audit_entry::Column::ActorId.eq(user_id))
        .exec(&txn)
        .await?;
    article_revision::Entity::update_many()
        .col_expr(
            article_revision::Column::AuthorId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(article_revision::Column::AuthorId.eq(user_id))
        .exec(&txn)
        .await?;
    social_post::Entity::update_many()
        .col_expr(
            social_post::Column::RecordedBy,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(social_post::Column::RecordedBy.eq(user_id))
        .exec(&txn)
        .await?;
    tip::Entity::update_many()
        .col_expr(tip::Column::HiddenBy, Expr::value(Option::<Uuid>::None))
        .filter(tip::Column::HiddenBy.eq(user_id))
        .exec(&txn)
        .await?;
    // Their tips go with them; what their check-ins, tips and votes counted too.
    tips::record_deletion_of_tips_by(&txn, user_id, now).await?;
    let touched = activity::touched_by(&txn, user_id).await?;
    let deleted = user::Entity::delete_by_id(user_id)
        .exec(&txn)
        .await?
        .rows_affected;
    activity::recount(&txn, &touched).await?;
    txn.commit().await?;
    Ok(deleted > 0)
}

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Attempt counters whose window started before the cut-off.
    pub attempt_counters: u64,
    /// Refresh tokens that expired before the cut-off.
    pub refresh_tokens: u64,
    /// Sessions with no token left, last refreshed before the cut-off.
    pub sessions: u64,
    /// Mailed tokens (address verification, password reset) that expired before the
    /// cut-off.
    pub mailed_tokens: u64,
}

/// Deletes what is kept only to protect the service once it is older than `cutoff`
/// (now minus the retention period): attempt counters (client addresses, mistyped
/// emails), expired refresh tokens and the sessions they leave empty, and expired mailed
/// tokens.
pub async fn purge(db: &Database, cutoff: DateTime<Utc>) -> Result<Purged, StorageError> {
    let attempt_counters = throttle::purge(db, cutoff).await?;
    let refresh_tokens = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lte(cutoff))
        .exec(db.connection())
        .await?
        .rows_affected;
    let mut sql = Sql::new(db.db_backend());
    sql.push("DELETE FROM sessions WHERE refreshed_at <= ")
        .bind(cutoff)
        .push(" AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = sessions.id)");
    let sessions = db
        .connection()
        .execute_raw(sql.build())
        .await?
        .rows_affected();
    let mailed_tokens = crate::account_tokens::purge(db, cutoff).await?;
    Ok(Purged {
        attempt_counters,
        refresh_tokens,
        sessions,
        mailed_tokens,
    })
}
