//! Publishers, categories and neighbourhoods.

use async_graphql::{Context, ID, Object, SimpleObject};
use capitole_domain::organization::OrganizationKind as DomainKind;
use capitole_domain::translation::TranslatedField as Field;
use capitole_persistence::entities::{category, neighborhood, organization};
use capitole_persistence::organizations;

use super::article::Network;
use super::scalars::Url;
use super::translation::{Translation, localized, translations_of};
use super::{CategoryKind, GeoPoint};
use crate::context::scope;
use crate::error::ApiResult;
use crate::ids::{self, Kind};
use crate::loaders::CategoryId;

/// A publisher: the city, the metropolitan authority.
#[derive(Clone)]
pub(crate) struct Organization(pub organization::Model);

/// What kind of public body a publisher is.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::organization::OrganizationKind")]
pub(crate) enum OrganizationKind {
    /// A town hall: the city itself.
    City,
    /// A metropolitan authority grouping several towns.
    Metropolis,
    /// Another publisher: an agency, a public establishment, an association.
    Other,
}

/// An account of a publisher on a social network.
#[derive(SimpleObject, Clone)]
pub(crate) struct SocialAccount {
    /// The network.
    pub network: Network,
    /// The account's page.
    pub url: Url,
}

/// Reads an organization's stored social accounts. An account on a network Capitole does
/// not know is left out (and logged) rather than failing the organization.
fn social_accounts_of(organization: &organization::Model) -> Vec<SocialAccount> {
    organizations::social_accounts(organization)
        .into_iter()
        .map(|account| SocialAccount {
            network: account.network.into(),
            url: Url(account.url),
        })
        .collect()
}

/// What kind of publisher a stored organization is; an unknown stored kind reads as
/// `OTHER` (and is logged).
fn kind_of(organization: &organization::Model) -> OrganizationKind {
    DomainKind::from_code(&organization.kind)
        .unwrap_or_else(|| {
            tracing::warn!(
                organization = %organization.slug,
                kind = %organization.kind,
                "organization of an unknown kind read as OTHER"
            );
            DomainKind::Other
        })
        .into()
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
    /// What kind of publisher it is.
    async fn kind(&self) -> OrganizationKind {
        kind_of(&self.0)
    }
    /// Web site.
    async fn website(&self) -> Option<Url> {
        self.0.website.as_deref().map(Url::from)
    }
    /// A short presentation.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Its accounts on social networks.
    async fn social_accounts(&self) -> Vec<SocialAccount> {
        social_accounts_of(&self.0)
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
    /// Name, in the language asked when it is translated (see `nameLanguage`).
    async fn name(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(
            localized(ctx, self.0.id, Field::Name, &self.0.name, language)
                .await?
                .0,
        )
    }
    /// The language `name` is given in.
    async fn name_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(
            localized(ctx, self.0.id, Field::Name, &self.0.name, language)
                .await?
                .1,
        )
    }
    /// Its name in the city's other languages, each marked stale when the original name
    /// changed since it was written.
    async fn translations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Translation>> {
        translations_of(ctx, self.0.id, &[(Field::Name, self.0.name.as_str())]).await
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
    /// Name, in the language asked when it is translated (see `nameLanguage`).
    async fn name(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(
            localized(ctx, self.0.id, Field::Name, &self.0.name, language)
                .await?
                .0,
        )
    }
    /// The language `name` is given in.
    async fn name_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(
            localized(ctx, self.0.id, Field::Name, &self.0.name, language)
                .await?
                .1,
        )
    }
    /// Its name in the city's other languages, each marked stale when the original name
    /// changed since it was written.
    async fn translations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Translation>> {
        translations_of(ctx, self.0.id, &[(Field::Name, self.0.name.as_str())]).await
    }
    /// Its centre on the map, when known.
    async fn center(&self) -> Option<GeoPoint> {
        Some(GeoPoint {
            latitude: self.0.latitude?,
            longitude: self.0.longitude?,
        })
    }
}
