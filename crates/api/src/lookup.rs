//! One item as a client names it: by its global id, or by its slug, where a slug the item
//! had before still leads to it, so that shared links never break. Events, places and news
//! articles are all found this way.

use std::future::Future;
use std::hash::Hash;

use async_graphql::ID;
use async_graphql::dataloader::Loader;
use capitole_domain::change::ItemKind;
use capitole_persistence::{StorageError, slugs};
use uuid::Uuid;

use crate::context::RequestScope;
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{Batcher, LoadError};

/// The item of `kind` that exactly one of `id` and `slug` names. `by_slug` finds it by its
/// current slug; a retired slug leads to the item that had it, which is loaded by `key` as
/// an id is (so that it reads as every other path reads it).
pub(crate) async fn by_id_or_slug<K, Found>(
    scope: &RequestScope,
    (id, slug): (Option<ID>, Option<String>),
    (kind, item): (Kind, ItemKind),
    key: fn(Uuid) -> K,
    by_slug: impl FnOnce(String) -> Found,
) -> ApiResult<Option<<Batcher as Loader<K>>::Value>>
where
    Batcher: Loader<K, Error = LoadError>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
    Found: Future<Output = Result<Option<<Batcher as Loader<K>>::Value>, StorageError>>,
{
    match (id, slug) {
        (Some(id), None) => {
            let uuid = ids::decode_as(kind, &id).map_err(to_gql)?;
            scope.load(key(uuid)).await
        }
        (None, Some(slug)) => {
            if let Some(found) = by_slug(slug.clone()).await.map_err(to_gql)? {
                return Ok(Some(found));
            }
            match slugs::retired(&scope.db, item, &slug)
                .await
                .map_err(to_gql)?
            {
                Some(id) => scope.load(key(id)).await,
                None => Ok(None),
            }
        }
        _ => Err(to_gql(ApiError::bad_input(
            "give exactly one of `id` and `slug`",
        ))),
    }
}
