//! Root fields of the change log: `changes` (what changed after a cursor, with tombstones)
//! and `changeCursor` (where the log ends now), which together keep an offline copy
//! current with one request.

use async_graphql::{Context, Object};
use capitole_domain::change::ItemKind as DomainKind;
use capitole_services::changes;

use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::types::change::{Change, ChangeConnection, ChangeEdge, ItemKind};
use crate::types::connection::{page_info, page_size, unwrap_cursor, wrap_cursor};

#[derive(Default)]
pub(crate) struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// What changed after `after`, oldest first: each entry names the item, what happened,
    /// its new version and the item as it is now (`node`), or null when it left the
    /// caller's view (a tombstone: drop it). Anonymous callers and apps read the changes of
    /// public items; editors also those of their organizations' drafts. Without `after`,
    /// the list starts at the oldest change the log keeps (30 days by default); a cursor
    /// older than that is refused with `CURSOR_EXPIRED`: read everything again, then follow
    /// the log from `changeCursor`.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `endCursor` of the previous page, or a `changeCursor`.")]
        after: Option<String>,
        #[graphql(default = 100, desc = "How many changes (1 to 100).")] first: i32,
        #[graphql(desc = "Only changes of these kinds of items (every kind when omitted).")]
        kinds: Option<Vec<ItemKind>>,
    ) -> ApiResult<ChangeConnection> {
        let scope = scope(ctx)?;
        let first = page_size(first).map_err(to_gql)?;
        let raw_after = unwrap_cursor(after.as_deref()).map_err(to_gql)?;
        let kinds: Vec<DomainKind> = kinds
            .unwrap_or_default()
            .into_iter()
            .map(DomainKind::from)
            .collect();
        let page = changes::read(
            &scope.services(),
            &scope.principal,
            raw_after.as_deref(),
            &kinds,
            first,
            scope.change_retention,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        let page_info = page_info(&page, raw_after.is_some());
        let edges = page
            .rows
            .into_iter()
            .map(|(entry, cursor)| ChangeEdge {
                cursor: wrap_cursor(&cursor),
                node: Change(entry),
            })
            .collect();
        Ok(ChangeConnection { edges, page_info })
    }

    /// Where the change log ends now. Ask for it before reading everything for an offline
    /// copy, then pass it as `changes(after:)` to read what changed since.
    async fn change_cursor(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let scope = scope(ctx)?;
        let head = changes::head(&scope.services(), scope.now)
            .await
            .map_err(to_gql)?;
        Ok(wrap_cursor(&head))
    }
}
