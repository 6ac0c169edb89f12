//! Answers shared between the requests of one service for a few seconds, where every
//! request of a busy screen would otherwise compute the same thing again. The resolvers
//! decide what to compute; the caches here only remember it and forget it in time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use capitole_domain::geo::{Coordinates, RadiusMeters};
use capitole_persistence::check_ins::TrendingRow;

/// Answers shared between the requests of one service for a short time.
#[derive(Clone, Default)]
pub struct Caches {
    /// Trending places by area: what `trendingPlaces` found, and when.
    pub(crate) trending: TrendingCache,
}

/// How long trending places are reused for one area: a trend over three hours moves little
/// in a few seconds, and every request of a busy screen would otherwise count again.
const TRENDING_FRESH_FOR: Duration = Duration::from_secs(15);
/// Areas remembered at most; past it the cache starts afresh.
const TRENDING_AREAS: usize = 1_000;

/// Places with their check-ins of the last hours, most first, as storage ranked them.
pub(crate) type Trending = Arc<Vec<TrendingRow>>;

/// An area asked for: its centre (to about 10 m) and radius.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TrendingKey(i64, i64, u32);

impl TrendingKey {
    /// The key of the trending places within `radius` of `center`.
    pub(crate) fn new(center: Coordinates, radius: RadiusMeters) -> Self {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "degrees times 10,000 are far inside an i64"
        )]
        let round = |degrees: f64| (degrees * 10_000.0).round() as i64;
        Self(
            round(center.latitude.degrees()),
            round(center.longitude.degrees()),
            radius.meters(),
        )
    }
}

/// What was found for an area, and when.
struct TrendingEntry {
    at: Instant,
    found: Trending,
}

/// Trending places by area, each kept for [`TRENDING_FRESH_FOR`].
#[derive(Clone, Default)]
pub(crate) struct TrendingCache(Arc<Mutex<HashMap<TrendingKey, TrendingEntry>>>);

impl TrendingCache {
    /// What was found for this area lately, if it is still fresh.
    pub(crate) fn lookup(&self, key: &TrendingKey) -> Option<Trending> {
        let cache = self.0.lock().ok()?;
        cache
            .get(key)
            .filter(|entry| entry.at.elapsed() < TRENDING_FRESH_FOR)
            .map(|entry| entry.found.clone())
    }

    /// Remembers what was found for an area, from now.
    pub(crate) fn store(&self, key: TrendingKey, found: Trending) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= TRENDING_AREAS {
                cache.clear();
            }
            cache.insert(
                key,
                TrendingEntry {
                    at: Instant::now(),
                    found,
                },
            );
        }
    }
}
