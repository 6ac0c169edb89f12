//! The search index of articles, events and places: written with every change of them
//! ([`index`]), read by the unified search and by the lists' `search` filters ([`query`]).

mod index;
pub mod query;

pub(crate) use index::reindex;
pub use index::{ORIGINALS, index_missing};
