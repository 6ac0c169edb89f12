//! Positions on the Earth and distances between them.
//!
//! Distances are great-circle distances on a sphere of radius [`EARTH_RADIUS_METERS`], the
//! radius PostgreSQL's `earthdistance` uses, so that both storage engines rank places alike.

use std::fmt;

/// The sphere radius every distance is computed on, in metres (PostgreSQL `earth()`).
pub const EARTH_RADIUS_METERS: f64 = 6_378_168.0;

/// Why a coordinate or radius was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    /// A latitude outside −90..90.
    #[error("latitude must be between -90 and 90 degrees, got {0}")]
    Latitude(f64),
    /// A longitude outside −180..180.
    #[error("longitude must be between -180 and 180 degrees, got {0}")]
    Longitude(f64),
    /// A radius outside [`RadiusMeters::MIN`]..[`RadiusMeters::MAX`].
    #[error("radiusMeters must be between {min} and {max}, got {got}")]
    Radius {
        /// Smallest radius.
        min: i64,
        /// Largest radius.
        max: i64,
        /// What was asked for.
        got: i64,
    },
}

/// A latitude in degrees, within −90..90.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Latitude(f64);

impl Latitude {
    /// Checks a latitude.
    pub fn parse(degrees: f64) -> Result<Self, GeoError> {
        if degrees.is_finite() && (-90.0..=90.0).contains(&degrees) {
            Ok(Self(degrees))
        } else {
            Err(GeoError::Latitude(degrees))
        }
    }

    /// Degrees.
    pub fn degrees(self) -> f64 {
        self.0
    }
}

/// A longitude in degrees, within −180..180.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Longitude(f64);

impl Longitude {
    /// Checks a longitude.
    pub fn parse(degrees: f64) -> Result<Self, GeoError> {
        if degrees.is_finite() && (-180.0..=180.0).contains(&degrees) {
            Ok(Self(degrees))
        } else {
            Err(GeoError::Longitude(degrees))
        }
    }

    /// Degrees.
    pub fn degrees(self) -> f64 {
        self.0
    }
}

/// A point on the Earth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    /// North–south position.
    pub latitude: Latitude,
    /// East–west position.
    pub longitude: Longitude,
}

impl Coordinates {
    /// Checks both parts of a point.
    pub fn parse(latitude: f64, longitude: f64) -> Result<Self, GeoError> {
        Ok(Self {
            latitude: Latitude::parse(latitude)?,
            longitude: Longitude::parse(longitude)?,
        })
    }

    /// Great-circle distance in metres, computed as PostgreSQL's `earth_distance` does (through
    /// the chord between the two points) so that both databases agree to the last metre.
    pub fn distance_meters(self, other: Coordinates) -> f64 {
        let a = self.unit_vector();
        let b = other.unit_vector();
        let chord = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
        let half = (chord / 2.0).clamp(0.0, 1.0);
        2.0 * EARTH_RADIUS_METERS * half.asin()
    }

    /// A latitude/longitude box that contains every point within `radius` of this one.
    pub fn bounding_box(self, radius: RadiusMeters) -> BoundingBox {
        let lat = self.latitude.degrees();
        let lon = self.longitude.degrees();
        // Angular radius, widened by a hair so rounding never drops a point on the edge.
        let angle = (radius.meters() as f64 / EARTH_RADIUS_METERS).to_degrees() * 1.000_001;
        let min_latitude = (lat - angle).max(-90.0);
        let max_latitude = (lat + angle).min(90.0);
        let widest = lat.abs() + angle;
        let (min_longitude, max_longitude) = if widest >= 89.0 {
            (-180.0, 180.0)
        } else {
            let spread = angle / widest.to_radians().cos();
            if spread >= 180.0 {
                (-180.0, 180.0)
            } else {
                (lon - spread, lon + spread)
            }
        };
        BoundingBox {
            min_latitude,
            max_latitude,
            min_longitude,
            max_longitude,
        }
    }

    fn unit_vector(self) -> [f64; 3] {
        let lat = self.latitude.degrees().to_radians();
        let lon = self.longitude.degrees().to_radians();
        [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
    }
}

impl fmt::Display for Coordinates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.6},{:.6}",
            self.latitude.degrees(),
            self.longitude.degrees()
        )
    }
}

/// A latitude/longitude rectangle. Longitudes may run past ±180 near the antimeridian; callers
/// that query storage split such a box or widen it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// Southern edge.
    pub min_latitude: f64,
    /// Northern edge.
    pub max_latitude: f64,
    /// Western edge.
    pub min_longitude: f64,
    /// Eastern edge.
    pub max_longitude: f64,
}

/// A search radius in metres, 1 m to 50 km.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RadiusMeters(u32);

impl RadiusMeters {
    /// Smallest radius.
    pub const MIN: u32 = 1;
    /// Largest radius: a metropolitan area.
    pub const MAX: u32 = 50_000;

    /// Checks a radius.
    pub fn parse(meters: i64) -> Result<Self, GeoError> {
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&meters) {
            Ok(Self(meters as u32))
        } else {
            Err(GeoError::Radius {
                min: Self::MIN.into(),
                max: Self::MAX.into(),
                got: meters,
            })
        }
    }

    /// Metres.
    pub fn meters(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn capitole() -> Coordinates {
        Coordinates::parse(43.6045, 1.4440).unwrap()
    }

    #[test]
    fn coordinates_out_of_range_are_refused() {
        assert!(Coordinates::parse(90.1, 0.0).is_err());
        assert!(Coordinates::parse(0.0, -180.5).is_err());
        assert!(Coordinates::parse(f64::NAN, 0.0).is_err());
        assert!(Coordinates::parse(-90.0, 180.0).is_ok());
    }

    #[test]
    fn radius_is_between_one_metre_and_fifty_kilometres() {
        assert!(RadiusMeters::parse(0).is_err());
        assert!(RadiusMeters::parse(50_001).is_err());
        assert_eq!(RadiusMeters::parse(1).unwrap().meters(), 1);
        let message = RadiusMeters::parse(-3).unwrap_err().to_string();
        assert!(message.contains("between 1 and 50000"), "{message}");
    }

    #[test]
    fn distance_from_capitole_to_saint_sernin_is_about_650_metres() {
        let saint_sernin = Coordinates::parse(43.6083, 1.4420).unwrap();
        let d = capitole().distance_meters(saint_sernin);
        assert!((400.0..500.0).contains(&d), "{d}");
        assert_eq!(capitole().distance_meters(capitole()), 0.0);
    }

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let a = Coordinates::parse(43.0, 1.0).unwrap();
        let b = Coordinates::parse(44.0, 1.0).unwrap();
        let d = a.distance_meters(b);
        assert!((111_300.0..111_350.0).contains(&d), "{d}");
    }

    #[test]
    fn the_bounding_box_contains_every_point_of_the_circle() {
        let radius = RadiusMeters::parse(1_000).unwrap();
        let b = capitole().bounding_box(radius);
        for step in 0..360 {
            let bearing = f64::from(step).to_radians();
            let angle = 999.9 / EARTH_RADIUS_METERS;
            let lat1 = 43.6045_f64.to_radians();
            let lat2 = (lat1.sin() * angle.cos() + lat1.cos() * angle.sin() * bearing.cos()).asin();
            let lon2 = 1.4440_f64.to_radians()
                + (bearing.sin() * angle.sin() * lat1.cos())
                    .atan2(angle.cos() - lat1.sin() * lat2.sin());
            let (lat2, lon2) = (lat2.to_degrees(), lon2.to_degrees());
            assert!(capitole().distance_meters(Coordinates::parse(lat2, lon2).unwrap()) <= 1_000.0);
            assert!(b.min_latitude <= lat2 && lat2 <= b.max_latitude);
            assert!(b.min_longitude <= lon2 && lon2 <= b.max_longitude);
        }
    }
}
