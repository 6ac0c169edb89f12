//! Pictures of events and places, at the widths screens need, and their inputs.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use capitole_domain::picture::{Picture as DomainPicture, PictureForm};

use super::scalars::Url;
use crate::context::scope;
use crate::error::{ApiError, ApiResult};
use crate::pictures::{self, MAX_WIDTH};

/// A picture of an event or a place. Addresses at other widths come from the city's image
/// proxy, which keeps the focal point in view; without a proxy they are the original.
pub(crate) struct Picture(pub DomainPicture);

/// The point of a picture to keep in view when it is cropped.
#[derive(SimpleObject, Clone, Copy)]
pub(crate) struct FocalPoint {
    /// From 0 (left edge) to 1 (right edge).
    x: f64,
    /// From 0 (top edge) to 1 (bottom edge).
    y: f64,
}

/// A picture at one width.
#[derive(SimpleObject)]
pub(crate) struct PictureVariant {
    /// Its width in pixels.
    width: i32,
    /// Its height in pixels, in the original's proportions.
    height: i32,
    /// Its address.
    url: Url,
}

/// A picture of an event or a place. Addresses at other widths come from the city's image
/// proxy, which keeps the focal point in view; without a proxy they are the original.
#[Object]
impl Picture {
    /// Its address: at `width` pixels wide (never wider than the original) when given; the
    /// original otherwise, or the narrowest variant when the request asks to save data
    /// (`Save-Data: on`).
    async fn url(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The width wanted, 1 to 4096 pixels.")] width: Option<i32>,
    ) -> ApiResult<Url> {
        let scope = scope(ctx)?;
        let width = match width {
            Some(width) => Some(
                u32::try_from(width)
                    .ok()
                    .filter(|w| (1..=MAX_WIDTH).contains(w))
                    .ok_or_else(|| {
                        ApiError::bad_input(format!(
                            "`width` is from 1 to {MAX_WIDTH} pixels (got {width})"
                        ))
                    })?,
            ),
            None if scope.low_bandwidth => pictures::widths(&self.0).first().copied(),
            None => None,
        };
        Ok(Url(match width {
            Some(width) => scope.images.url(&self.0, width),
            None => self.0.url.clone(),
        }))
    }
    /// What it shows, for people who cannot see it.
    async fn alt(&self) -> &str {
        &self.0.alt
    }
    /// Who made it.
    async fn credit(&self) -> Option<&str> {
        self.0.credit.as_deref()
    }
    /// Under which licence it is published.
    async fn licence(&self) -> Option<&str> {
        self.0.licence.as_deref()
    }
    /// The point to keep in view when it is cropped, when one is set.
    async fn focal_point(&self) -> Option<FocalPoint> {
        self.0.focal_point.map(|p| {
            let (x, y) = p.fractions();
            FocalPoint { x, y }
        })
    }
    /// The original's width in pixels.
    async fn width(&self) -> i32 {
        i32::try_from(self.0.width).unwrap_or(i32::MAX)
    }
    /// The original's height in pixels.
    async fn height(&self) -> i32 {
        i32::try_from(self.0.height).unwrap_or(i32::MAX)
    }
    /// The widths it is offered at, narrowest first (160, 320, 640, 960, 1280 and 1920
    /// pixels, those narrower than the original, then the original's): only the original
    /// without an image proxy, only the narrowest when the request asks to save data.
    async fn variants(&self, ctx: &Context<'_>) -> ApiResult<Vec<PictureVariant>> {
        self.variants_for(ctx)
    }
    /// The variants as the value of an `<img>`'s `srcset` attribute:
    /// `https://… 320w, https://… 640w`.
    async fn srcset(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let variants = self.variants_for(ctx)?;
        Ok(variants
            .iter()
            .map(|v| format!("{} {}w", v.url.0, v.width))
            .collect::<Vec<_>>()
            .join(", "))
    }
}

impl Picture {
    /// The widths this picture is offered at, as the request may have them.
    fn variants_for(&self, ctx: &Context<'_>) -> ApiResult<Vec<PictureVariant>> {
        let scope = scope(ctx)?;
        let mut widths = if scope.images.resizes() {
            pictures::widths(&self.0)
        } else {
            vec![self.0.width]
        };
        if scope.low_bandwidth {
            widths.truncate(1);
        }
        Ok(widths
            .into_iter()
            .map(|width| PictureVariant {
                width: i32::try_from(width).unwrap_or(i32::MAX),
                height: i32::try_from(
                    u64::from(self.0.height) * u64::from(width) / u64::from(self.0.width.max(1)),
                )
                .unwrap_or(i32::MAX),
                url: Url(scope.images.url(&self.0, width)),
            })
            .collect())
    }
}

/// The point of a picture to keep in view when it is cropped.
#[derive(InputObject, Clone)]
pub(crate) struct FocalPointInput {
    /// From 0 (left edge) to 1 (right edge).
    pub x: f64,
    /// From 0 (top edge) to 1 (bottom edge).
    pub y: f64,
}

/// A picture of an event or a place.
#[derive(InputObject, Clone)]
pub(crate) struct PictureInput {
    /// Where it is: an https address.
    pub url: Url,
    /// What it shows, for people who cannot see it (required, up to 300 characters).
    pub alt: String,
    /// Who made it (up to 200 characters).
    pub credit: Option<String>,
    /// Under which licence it is published (a name such as `CC BY 4.0`, or an address).
    pub licence: Option<String>,
    /// The point to keep in view when it is cropped.
    pub focal_point: Option<FocalPointInput>,
    /// Its width in pixels, 1 to 20000.
    pub width: i32,
    /// Its height in pixels, 1 to 20000.
    pub height: i32,
}

impl PictureInput {
    /// The form of these pictures.
    pub(crate) fn forms(inputs: Vec<PictureInput>) -> Vec<PictureForm> {
        inputs
            .into_iter()
            .map(|p| PictureForm {
                url: p.url.0,
                alt: p.alt,
                credit: p.credit,
                licence: p.licence,
                focal_point: p.focal_point.map(|f| (f.x, f.y)),
                width: i64::from(p.width),
                height: i64::from(p.height),
            })
            .collect()
    }
}

/// The pictures of an item, stored as its row keeps them.
pub(crate) fn pictures_of(stored: &str) -> Vec<Picture> {
    capitole_persistence::stored_lists::decode(stored)
        .into_iter()
        .map(Picture)
        .collect()
}
