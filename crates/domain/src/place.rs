//! Places: venues of the city, with their categories, location and opening hours.

use crate::coded_enum;

coded_enum! {
    /// How a list of places is ordered.
    pub enum PlaceOrder {
        /// Nearest first (needs a point to measure from).
        Distance = "DISTANCE",
        /// Most visited first.
        Popularity = "POPULARITY",
        /// Best rated first; unrated places last.
        Rating = "RATING",
        /// Alphabetical, ignoring accents and case.
        Name = "NAME",
    }
}
