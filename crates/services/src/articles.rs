//! The editorial workflow of news articles: create, update, the steps between statuses,
//! deletion of drafts, and the scheduler's publication of articles whose time has come. Every write checks who asks (editors of
//! the article's publishers, administrators, the operator), takes a draft or a patch parsed
//! in the domain, checks what only storage can say (whether the slugs and ids it names
//! exist), reports every failed field at once, and makes one storage call, whose
//! transaction holds the article, its audit entry, its revision and its change log entry.

use capitole_domain::article::Transition;
use capitole_domain::article_draft::{ArticleDraft, ArticlePatch, LinkIds, LinkNames};
use capitole_domain::editorial::{Checked, FieldErrors};
use capitole_domain::event::CategoryKind;
use capitole_persistence::audit::Actor;
use capitole_persistence::entities::article;
use capitole_persistence::{Database, catalog, events, places};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ServiceError;
use crate::{Principal, ServiceResult, Services};

/// Writes a new draft for its publishers: the ones it names (each one the editor edits
/// for), or by default the organizations the editor edits for. With `validate_only`, checks everything and stores
/// nothing (`None`).
pub async fn create(
    services: &Services,
    by: &Principal,
    mut draft: Checked<ArticleDraft>,
    validate_only: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<article::Model>> {
    let db = &services.db;
    let names = draft.value().links.clone();
    let organizations = match &names.publishers {
        Some(slugs) => organization_ids(db, &mut draft, slugs).await?,
        None => by.own_organizations().unwrap_or_default(),
    };
    let actor = if organizations.is_empty() {
        if !draft.failed("publishers") {
            // Anonymous callers and citizens are refused here, before any field.
            by.editor_of(&[])?;
            draft.refuse("publishers", "name at least one publisher");
        }
        None
    } else {
        Some(by.editor_of(&organizations)?)
    };
    // Each publisher named must be one the editor edits for (administrators: any).
    if let Err(errors) = by.publishers_after(&[], &organizations) {
        refuse_all(&mut draft, errors);
    }
    let links = LinkIds {
        publishers: Some(organizations),
        ..resolve(db, &mut draft, &names).await?
    };
    let draft = draft.into_result()?;
    // Without a publisher a field failed above, so this is never reached without one.
    let actor = actor.ok_or_else(|| ServiceError::bad_input("name at least one publisher"))?;
    if validate_only {
        return Ok(None);
    }
    let row =
        capitole_persistence::article::create(db, &draft.content, &links, &actor, now).await?;
    Ok(Some(row))
}

/// Changes the article `id` at `version` (the version its editor read); if someone else
/// changed it since, nothing is stored and the answer is `CONFLICT`. Publishers the editor
/// does not edit for stay, whatever the patch names. With `validate_only`, checks
/// everything and stores nothing (`None`).
pub async fn update(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    mut patch: Checked<ArticlePatch>,
    validate_only: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<article::Model>> {
    let db = &services.db;
    let (current, actor) = editable(db, by, id, now).await?;
    let names = patch.value().links.clone();
    let organizations = match &names.publishers {
        Some(slugs) => {
            let named = organization_ids(db, &mut patch, slugs).await?;
            Some(publishers_after(by, &current, &named, &mut patch))
        }
        None => None,
    };
    let links = LinkIds {
        publishers: organizations,
        ..resolve(db, &mut patch, &names).await?
    };
    let patch = patch.into_result()?;
    if validate_only {
        return Ok(None);
    }
    let row =
        capitole_persistence::article::update(db, id, version, &patch.content, &links, &actor, now)
            .await?;
    Ok(Some(row))
}

/// Takes the article `id` at `version` one step along its workflow: submit for review,
/// publish now, schedule, unpublish, archive.
pub async fn transition(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    step: Transition,
    now: DateTime<Utc>,
) -> ServiceResult<article::Model> {
    let db = &services.db;
    let (_, actor) = editable(db, by, id, now).await?;
    Ok(capitole_persistence::article::transition(db, id, version, step, &actor, now).await?)
}

/// Deletes the draft `id` at `version`; published articles are unpublished or archived
/// instead.
pub async fn delete_draft(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let db = &services.db;
    let (_, actor) = editable(db, by, id, now).await?;
    Ok(capitole_persistence::article::delete_draft(db, id, version, &actor, now).await?)
}

/// Publishes every scheduled article whose time has come and returns their ids; each is
/// published by exactly one caller, however many replicas run the scheduler. No principal
/// is asked: editors decided when they scheduled the articles, and the audit log names the
/// scheduler.
pub async fn publish_due(db: &Database, now: DateTime<Utc>) -> ServiceResult<Vec<Uuid>> {
    Ok(capitole_persistence::article::publish_due(db, now).await?)
}

/// The publishers of an article about to be written, and who writes it: the article must
/// exist and `by` must edit for one of its publishers. Articles `by` may not see are
/// reported as not found (anonymous callers are asked to sign in first), so that nobody
/// learns of another organization's drafts.
pub(crate) async fn editable(
    db: &Database,
    by: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<(Vec<Uuid>, Actor)> {
    let not_found = || ServiceError::not_found("no article has this id");
    let row = capitole_persistence::article::find(db, id)
        .await?
        .ok_or_else(not_found)?;
    let publishers = capitole_persistence::article::publishers(db, id).await?;
    if !by.may_preview(&publishers)
        && !capitole_persistence::article::publication(&row).is_public(now)
    {
        by.user()?;
        return Err(not_found());
    }
    let actor = by.editor_of(&publishers)?;
    Ok((publishers, actor))
}

/// Adds every failure of `errors` to `checked`.
fn refuse_all<T>(checked: &mut Checked<T>, errors: FieldErrors) {
    for error in errors.fields() {
        checked.refuse(error.field.clone(), error.message.clone());
    }
}

/// The publishers of an article whose editor names `named`: the ones named that they edit
/// for, and every current one they do not edit for (which they cannot remove).
fn publishers_after<T>(
    by: &Principal,
    current: &[Uuid],
    named: &[Uuid],
    checked: &mut Checked<T>,
) -> Vec<Uuid> {
    let kept = match by.publishers_after(current, named) {
        Ok(kept) => kept,
        Err(errors) => {
            refuse_all(checked, errors);
            return current.to_vec();
        }
    };
    if kept.is_empty() {
        checked.refuse("publishers", "an article has at least one publisher");
    }
    kept
}

/// The organizations `slugs` name, each once, noting unknown ones as `publishers[i]`.
async fn organization_ids<T>(
    db: &Database,
    checked: &mut Checked<T>,
    slugs: &[String],
) -> ServiceResult<Vec<Uuid>> {
    let mut ids = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        match catalog::organization_by_slug(db, slug).await? {
            Some(o) if !ids.contains(&o.id) => ids.push(o.id),
            Some(_) => {}
            None => checked.refuse(
                format!("publishers[{i}]"),
                format!("unknown organization `{}`", short(slug)),
            ),
        }
    }
    Ok(ids)
}

/// The ids of the neighbourhoods, events and places `names` names, each once, noting each
/// name of nothing (publishers are the caller's).
async fn resolve<T>(
    db: &Database,
    checked: &mut Checked<T>,
    names: &LinkNames,
) -> ServiceResult<LinkIds> {
    let categories = match &names.categories {
        Some(slugs) => Some(category_ids(db, checked, slugs).await?),
        None => None,
    };
    let neighborhoods = match &names.neighborhoods {
        Some(slugs) => Some(neighborhood_ids(db, checked, slugs).await?),
        None => None,
    };
    let events = match &names.events {
        Some(ids) => {
            let ids = once_each(ids);
            let found = events::by_ids(db, &ids).await?;
            missing(checked, "relatedEvents", &ids, found.iter().map(|e| e.id));
            Some(ids)
        }
        None => None,
    };
    let places = match &names.places {
        Some(ids) => {
            let ids = once_each(ids);
            let found = places::by_ids(db, &ids).await?;
            missing(checked, "relatedPlaces", &ids, found.iter().map(|p| p.id));
            Some(ids)
        }
        None => None,
    };
    Ok(LinkIds {
        publishers: None,
        categories,
        neighborhoods,
        events,
        places,
    })
}

/// The news categories `slugs` name, in order and each once, noting unknown ones (and
/// categories of places or events) as `categories[i]`.
async fn category_ids<T>(
    db: &Database,
    checked: &mut Checked<T>,
    slugs: &[String],
) -> ServiceResult<Vec<Uuid>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let known = catalog::categories(db, Some(CategoryKind::Article)).await?;
    let mut ids = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        match known.iter().find(|c| c.slug == slug.trim()) {
            Some(c) if !ids.contains(&c.id) => ids.push(c.id),
            Some(_) => {}
            None => checked.refuse(
                format!("categories[{i}]"),
                format!("unknown news category `{}`", short(slug)),
            ),
        }
    }
    Ok(ids)
}

/// The neighbourhoods `slugs` name, each once, noting unknown ones as `neighborhoods[i]`.
async fn neighborhood_ids<T>(
    db: &Database,
    checked: &mut Checked<T>,
    slugs: &[String],
) -> ServiceResult<Vec<Uuid>> {
    let mut ids = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        match catalog::neighborhood_by_slug(db, slug).await? {
            Some(n) if !ids.contains(&n.id) => ids.push(n.id),
            Some(_) => {}
            None => checked.refuse(
                format!("neighborhoods[{i}]"),
                format!("unknown neighbourhood `{}`", short(slug)),
            ),
        }
    }
    Ok(ids)
}

fn once_each(ids: &[Uuid]) -> Vec<Uuid> {
    let mut unique = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    unique
}

/// Notes each of `ids` that is not `found` as `field[i]`.
fn missing<T>(
    checked: &mut Checked<T>,
    field: &str,
    ids: &[Uuid],
    found: impl Iterator<Item = Uuid>,
) {
    let found: Vec<Uuid> = found.collect();
    for (i, id) in ids.iter().enumerate() {
        if !found.contains(id) {
            checked.refuse(format!("{field}[{i}]"), "nothing has this id");
        }
    }
}

/// The beginning of a name given by a caller, to quote it in a message.
fn short(text: &str) -> String {
    text.chars().take(60).collect()
}
