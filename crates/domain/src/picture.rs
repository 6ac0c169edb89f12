//! Pictures of events and places: an https address, a text alternative (required: a
//! picture nobody can describe is not published), a credit, a licence, the picture's size
//! and the point to keep in view when it is cropped. The first picture of an item is its
//! main one; the others are its gallery.

use serde::{Deserialize, Serialize};

use crate::editorial::{FieldErrors, Lines, check_optional_text, check_text, check_url};
use crate::media::Media;

/// The most pictures an event or a place has.
pub const MAX_PICTURES: usize = 12;
/// The widest or tallest picture described, in pixels.
pub const MAX_DIMENSION: u32 = 20_000;
/// The longest licence, in characters (a name such as `CC BY-SA 4.0`, or an address).
pub const MAX_LICENCE_CHARS: usize = 200;

/// A picture as an editor gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureForm {
    /// Its address.
    pub url: String,
    /// What it shows, for people who cannot see it.
    pub alt: String,
    /// Who made it.
    pub credit: Option<String>,
    /// Under which licence it is published.
    pub licence: Option<String>,
    /// The point to keep in view when the picture is cropped, each coordinate from 0 (left,
    /// top) to 1 (right, bottom).
    pub focal_point: Option<(f64, f64)>,
    /// Its width in pixels.
    pub width: i64,
    /// Its height in pixels.
    pub height: i64,
}

/// A point of a picture, in thousandths of its width (`x`) and height (`y`) from its top
/// left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FocalPoint {
    /// From 0 (left) to 1,000 (right).
    pub x: u16,
    /// From 0 (top) to 1,000 (bottom).
    pub y: u16,
}

impl FocalPoint {
    /// The point as fractions of the width and height, 0 to 1.
    pub fn fractions(self) -> (f64, f64) {
        (f64::from(self.x) / 1000.0, f64::from(self.y) / 1000.0)
    }
}

/// A checked picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Picture {
    /// Its https address.
    pub url: String,
    /// What it shows.
    pub alt: String,
    /// Who made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    /// Its licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// The point to keep in view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_point: Option<FocalPoint>,
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
}

/// Checks the pictures of an item, noting each failure under `field[i].…`.
pub fn check_pictures(
    errors: &mut FieldErrors,
    field: &str,
    forms: &[PictureForm],
) -> Vec<Picture> {
    if forms.len() > MAX_PICTURES {
        errors.add(
            field,
            format!(
                "takes at most {MAX_PICTURES} pictures (got {})",
                forms.len()
            ),
        );
        return Vec::new();
    }
    forms
        .iter()
        .enumerate()
        .map(|(i, form)| check_picture(errors, &format!("{field}[{i}]"), form))
        .collect()
}

fn check_picture(errors: &mut FieldErrors, field: &str, form: &PictureForm) -> Picture {
    let at = |name: &str| format!("{field}.{name}");
    let url = check_url(errors, &at("url"), &form.url);
    let alt = check_text(
        errors,
        &at("alt"),
        &form.alt,
        1,
        Media::MAX_ALT_CHARS,
        Lines::Single,
    );
    let credit = check_optional_text(
        errors,
        &at("credit"),
        form.credit.as_deref(),
        Media::MAX_CREDIT_CHARS,
        Lines::Single,
    );
    let licence = check_optional_text(
        errors,
        &at("licence"),
        form.licence.as_deref(),
        MAX_LICENCE_CHARS,
        Lines::Single,
    );
    let mut dimension = |name: &str, value: i64| {
        u32::try_from(value)
            .ok()
            .filter(|v| (1..=MAX_DIMENSION).contains(v))
            .unwrap_or_else(|| {
                errors.add(
                    at(name),
                    format!("is from 1 to {MAX_DIMENSION} pixels (got {value})"),
                );
                1
            })
    };
    let width = dimension("width", form.width);
    let height = dimension("height", form.height);
    let focal_point = form.focal_point.and_then(|(x, y)| {
        let thousandths = |v: f64| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked to be within 0 and 1 first"
            )]
            ((0.0..=1.0).contains(&v)).then(|| (v * 1000.0).round() as u16)
        };
        match (thousandths(x), thousandths(y)) {
            (Some(x), Some(y)) => Some(FocalPoint { x, y }),
            _ => {
                errors.add(
                    at("focalPoint"),
                    "each coordinate is from 0 (left, top) to 1 (right, bottom)",
                );
                None
            }
        }
    });
    Picture {
        url,
        alt,
        credit,
        licence,
        focal_point,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo() -> PictureForm {
        PictureForm {
            url: " https://photos.toulouse.fr/capitole.jpg ".into(),
            alt: "La façade du Capitole au coucher du soleil".into(),
            credit: Some("Mairie de Toulouse".into()),
            licence: Some("CC BY 4.0".into()),
            focal_point: Some((0.5, 0.25)),
            width: 2400,
            height: 1600,
        }
    }

    #[test]
    fn a_picture_is_checked_and_kept() {
        let mut errors = FieldErrors::default();
        let pictures = check_pictures(&mut errors, "pictures", &[photo()]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(pictures[0].url, "https://photos.toulouse.fr/capitole.jpg");
        assert_eq!(pictures[0].focal_point, Some(FocalPoint { x: 500, y: 250 }));
        assert_eq!((pictures[0].width, pictures[0].height), (2400, 1600));
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = PictureForm {
            url: "http://photos.toulouse.fr/capitole.jpg".into(),
            alt: "  ".into(),
            focal_point: Some((1.5, 0.0)),
            width: 0,
            height: 30_000,
            ..photo()
        };
        let mut errors = FieldErrors::default();
        check_pictures(&mut errors, "pictures", &[photo(), bad]);
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "pictures[1].url",
                "pictures[1].alt",
                "pictures[1].width",
                "pictures[1].height",
                "pictures[1].focalPoint"
            ]
        );
        let mut errors = FieldErrors::default();
        check_pictures(&mut errors, "pictures", &vec![photo(); MAX_PICTURES + 1]);
        assert_eq!(errors.fields()[0].field, "pictures");
    }
}
