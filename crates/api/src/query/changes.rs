//! Root fields of the change log: `changes` (what changed after a cursor, with tombstones)
//! and `changeCursor` (where the log ends now), which together keep an offline copy
//! current with one request.

use async_graphql::{Context, Object};
use capitole_domain::change::ItemKind as DomainKind;
use capitole_services::changes;

use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::types::change::{Change, ChangeConnection, ChangeEdge, ItemKind};
use crate::types::connection::{CountQuery, edges, page_request, wrap_cursor};

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
    /// the log from `changeCursor`. `last` and `before` read the log backward from its end
    /// or from a cursor.
    #[graphql(cache_control(no_cache))]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Page forward from this cursor: the `endCursor` of the page before, or a `changeCursor`."
        )]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
        #[graphql(desc = "Only changes of these kinds of items (every kind when omitted).")]
        kinds: Option<Vec<ItemKind>>,
    ) -> ApiResult<ChangeConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let kinds: Vec<DomainKind> = kinds
            .unwrap_or_default()
            .into_iter()
            .map(DomainKind::from)
            .collect();
        let page = changes::read(
            &scope.services(),
            &scope.principal,
            &request,
            &kinds,
            scope.change_retention,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |entry, cursor| ChangeEdge {
            cursor,
            node: Change(entry),
        });
        Ok(ChangeConnection {
            edges,
            page_info,
            count: CountQuery::Changes(kinds),
        })
    }

    /// Where the change log ends now. Ask for it before reading everything for an offline
    /// copy, then pass it as `changes(after:)` to read what changed since.
    #[graphql(cache_control(no_cache))]
    async fn change_cursor(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let scope = scope(ctx)?;
        let head = changes::head(&scope.services(), scope.now)
            .await
            .map_err(to_gql)?;
        Ok(wrap_cursor(&head))
    }
}
