//! Publishers, categories and neighbourhoods.

use async_graphql::{Context, ID, Object, SimpleObject};
use capitole_persistence::entities::{category, neighborhood, organization};

use super::CategoryKind;
use crate::context::scope;
use crate::error::ApiResult;
use crate::ids::{self, Kind};
use crate::loaders::CategoryId;

/// A publisher: the city, the metropolitan authority.
#[derive(Clone)]
pub(crate) struct Organization(pub organization::Model);

/// An account of a publisher on a social network.
#[derive(SimpleObject, Clone, serde::Deserialize)]
pub(crate) struct SocialAccount {
    /// The network (`FACEBOOK`, `X`, `INSTAGRAM`, `DAILYMOTION`, `FLICKR`, `SCOOPIT`, `FOURSQUARE`, `YOUTUBE`).
    pub network: String,
    /// The account's page.
    pub url: String,
}

/// A publisher: the city, the metropolitan authority.
#[Object]
impl Organization {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Organization, self.0.id)
    }
    /// Human identifier in URLs (`ville-de-toulouse`).
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What kind of publisher it is (`CITY`, `METROPOLIS`).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// Web site.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    /// A short presentation.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Its accounts on social networks.
    async fn social_accounts(&self) -> Vec<SocialAccount> {
        serde_json::from_str(&self.0.social_accounts).unwrap_or_default()
    }
}

/// A category of places, events or news, in a tree of its kind (culture → museum).
#[derive(Clone)]
pub(crate) struct Category(pub category::Model);

/// A category of places, events or news, in a tree of its kind (culture → museum).
#[Object]
impl Category {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Category, self.0.id)
    }
    /// Human identifier, used in filters (`museum`).
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Which tree it belongs to.
    async fn kind(&self) -> CategoryKind {
        capitole_domain::event::CategoryKind::from_code(&self.0.kind)
            .unwrap_or(capitole_domain::event::CategoryKind::Place)
            .into()
    }
    /// The category above it, if any.
    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<Category>> {
        let Some(parent_id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?.load(CategoryId(parent_id)).await?.map(Category))
    }
}

/// A neighbourhood (quartier) of the city.
#[derive(Clone)]
pub(crate) struct Neighborhood(pub neighborhood::Model);

/// A neighbourhood (quartier) of the city.
#[Object]
impl Neighborhood {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Neighborhood, self.0.id)
    }
    /// Human identifier, used in filters (`saint-cyprien`).
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Latitude of its centre.
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }
    /// Longitude of its centre.
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }
}
