//! The area a city's data covers, as open-data catalogues describe a dataset's place.

use sea_orm::FromQueryResult;

use crate::sql::Sql;
use crate::{Database, StorageError};

/// Where the places are: the smallest box of latitudes and longitudes that holds them all,
/// and the town most of them are in.
#[derive(Debug, Clone, PartialEq)]
pub struct Extent {
    /// Southernmost latitude, in degrees.
    pub south: f64,
    /// Westernmost longitude, in degrees.
    pub west: f64,
    /// Northernmost latitude, in degrees.
    pub north: f64,
    /// Easternmost longitude, in degrees.
    pub east: f64,
    /// The town most places are in (the first by name among equals).
    pub city: String,
}

/// Where the places are; `None` when there is none.
pub async fn of_places(db: &Database) -> Result<Option<Extent>, StorageError> {
    #[derive(FromQueryResult)]
    struct Bounds {
        south: Option<f64>,
        west: Option<f64>,
        north: Option<f64>,
        east: Option<f64>,
    }
    #[derive(FromQueryResult)]
    struct Town {
        city: String,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "SELECT MIN(p.latitude) AS south, MIN(p.longitude) AS west, \
         MAX(p.latitude) AS north, MAX(p.longitude) AS east FROM places p",
    );
    let bounds = Bounds::find_by_statement(sql.build())
        .one(db.connection())
        .await?;
    let Some(Bounds {
        south: Some(south),
        west: Some(west),
        north: Some(north),
        east: Some(east),
    }) = bounds
    else {
        return Ok(None);
    };
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT p.city FROM places p GROUP BY p.city ORDER BY COUNT(*) DESC, p.city LIMIT 1");
    let city = Town::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .map(|t| t.city)
        .unwrap_or_default();
    Ok(Some(Extent {
        south,
        west,
        north,
        east,
        city,
    }))
}
