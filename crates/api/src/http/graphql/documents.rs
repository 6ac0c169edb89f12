//! Parsed query documents, kept by their text, each with the copy of it that runs (see
//! `field_order`). Clients send the same few queries over and over; parsing and preparing
//! one costs far more than copying its parsed form. The cache is bounded in entries and in
//! the size of the texts it keeps, and starts over when full, so that a stream of distinct
//! queries costs it no more than a few hundred small documents.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::field_order::PreparedDocument;

/// How many documents the cache holds before it starts over.
const CAPACITY: usize = 256;

/// The longest query text the cache keeps, in bytes.
const MAX_TEXT_BYTES: usize = 4 * 1024;

/// Parsed documents by query text.
#[derive(Default)]
pub(crate) struct DocumentCache {
    entries: Mutex<HashMap<Box<str>, Arc<PreparedDocument>>>,
}

impl DocumentCache {
    /// The prepared document of this query text, if it was parsed before.
    pub(crate) fn get(&self, query: &str) -> Option<Arc<PreparedDocument>> {
        if query.len() > MAX_TEXT_BYTES {
            return None;
        }
        self.lock().get(query).cloned()
    }

    /// Keeps the prepared document of this query text.
    pub(crate) fn insert(&self, query: &str, document: Arc<PreparedDocument>) {
        if query.len() > MAX_TEXT_BYTES {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(query.into(), document);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Arc<PreparedDocument>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Arc<PreparedDocument> {
        let document = async_graphql::parser::parse_query(query).expect("the test query parses");
        Arc::new(crate::schema::field_order().prepare(document))
    }

    #[test]
    fn a_document_comes_back_as_it_was_parsed() {
        let cache = DocumentCache::default();
        let query = "query Q($id: ID!) { node(id: $id) { id } }";
        assert!(cache.get(query).is_none());
        cache.insert(query, parse(query));
        let cached = cache.get(query).expect("cached");
        assert_eq!(
            format!("{:?}", cached.written()),
            format!("{:?}", parse(query).written())
        );
        assert!(cache.get("{ node(id: 1) { id } }").is_none());
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = DocumentCache::default();
        for i in 0..CAPACITY + 10 {
            let query = format!("{{ a{i}: __typename }}");
            cache.insert(&query, parse(&query));
        }
        assert!(cache.lock().len() <= CAPACITY);
        let long = format!("{{ {} }}", "__typename ".repeat(MAX_TEXT_BYTES / 10));
        cache.insert(&long, parse(&long));
        assert!(cache.get(&long).is_none());
    }
}
