//! The posts on social networks that announced an article, an event or a place: recorded
//! and removed by the item's editors (those of its publishers; administrators for places
//! without any). The address is checked against its network before anything is written.

use capitole_domain::change::ItemKind;
use capitole_domain::editorial::Checked;
use capitole_domain::social::PostLink;
use capitole_persistence::audit::Actor;
use capitole_persistence::entities::social_post;
use capitole_persistence::{event, place, social_posts};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ServiceError;
use crate::{Principal, ServiceResult, Services, articles};

/// Records a post on a social network that announced the item `item` (an article, an event
/// or a place), posted at `posted_at` (default: now). Recording the same address again
/// returns the existing record.
pub async fn record_social_post(
    services: &Services,
    by: &Principal,
    item: (ItemKind, Uuid),
    post: Checked<PostLink>,
    posted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ServiceResult<social_post::Model> {
    let actor = editor(services, by, item, now).await?;
    let post = post.into_result()?;
    Ok(social_posts::record(
        &services.db,
        item,
        post.network,
        &post.url,
        posted_at.unwrap_or(now),
        &actor,
        now,
    )
    .await?)
}

/// Removes a recorded social post (editors of the item it announced).
pub async fn remove_social_post(
    services: &Services,
    by: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let not_found = || ServiceError::not_found("no social post has this id");
    let post = social_posts::find(&services.db, id)
        .await?
        .ok_or_else(not_found)?;
    let kind = social_posts::announced(&post).ok_or_else(not_found)?;
    let actor = editor(services, by, (kind, post.item_id), now).await?;
    Ok(social_posts::remove(&services.db, &post, &actor, now).await?)
}

/// Who writes the posts of `item`: `by`, when they edit it.
async fn editor(
    services: &Services,
    by: &Principal,
    (kind, id): (ItemKind, Uuid),
    now: DateTime<Utc>,
) -> ServiceResult<Actor> {
    let db = &services.db;
    match kind {
        ItemKind::Article => Ok(articles::editable(db, by, id, now).await?.1),
        ItemKind::Event => {
            let current = event::current(db, id)
                .await?
                .ok_or_else(|| ServiceError::not_found("no event has this id"))?;
            by.editor_of(&current.publishers)
        }
        ItemKind::Place => {
            let current = place::current(db, id)
                .await?
                .ok_or_else(|| ServiceError::not_found("no place has this id"))?;
            by.editor_of_place(&current.publishers)
        }
        ItemKind::Tip | ItemKind::Organization => Err(ServiceError::not_found(
            "only articles, events and places are announced",
        )),
    }
}
