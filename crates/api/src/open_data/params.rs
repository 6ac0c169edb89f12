//! Query parameters of the exports, read as the graph's filters: a parameter is named as
//! the filter's field (`categories`, `startsAfter`, `near`…) and parsed by the same input
//! type, so it takes the same values and fails with the same message as in a query.
//! Lists are comma-separated or repeated (`categories=concert,theatre` or
//! `categories=concert&categories=theatre`), and each list has a singular alias
//! (`category=concert`); enum values are case-insensitive (`audiences=families`); a circle
//! is `latitude,longitude,radiusMeters` (`near=43.6045,1.4440,2000`).

use async_graphql::indexmap::IndexMap;
use async_graphql::{InputType, Name, Number, Value};

use capitole_persistence::PageRequest;

use crate::error::ApiError;

/// The parameter every export takes: the language of its texts (`language=en`).
pub(crate) const LANGUAGE: &str = "language";

/// How a parameter's text becomes an input value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A string, a date-time or an id.
    Text,
    /// A list of strings or ids.
    Texts,
    /// One enum value.
    Enum,
    /// A list of enum values.
    Enums,
    /// `true` or `false` (`1`/`0`, or no value for true).
    Bool,
    /// `latitude,longitude,radiusMeters`.
    Circle,
}

/// One parameter: the filter field it fills, the singular name it also answers to, and its
/// shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub shape: Shape,
}

const fn param(name: &'static str, alias: Option<&'static str>, shape: Shape) -> Param {
    Param { name, alias, shape }
}

/// The parameters of `EventFilter`.
pub(crate) const EVENT_FILTER: &[Param] = &[
    param("startsAfter", None, Shape::Text),
    param("startsBefore", None, Shape::Text),
    param("window", None, Shape::Enum),
    param("categories", Some("category"), Shape::Texts),
    param("audiences", Some("audience"), Shape::Enums),
    param("publishers", Some("publisher"), Shape::Texts),
    param("neighborhoods", Some("neighborhood"), Shape::Texts),
    param("venues", Some("venue"), Shape::Texts),
    param("near", None, Shape::Circle),
    param("freeOnly", None, Shape::Bool),
    param("accessibility", None, Shape::Enums),
    param("accessibilityFeatures", None, Shape::Enums),
    param("search", None, Shape::Text),
];

/// The parameters of `PlaceFilter`.
pub(crate) const PLACE_FILTER: &[Param] = &[
    param("near", None, Shape::Circle),
    param("categories", Some("category"), Shape::Texts),
    param("publishers", Some("publisher"), Shape::Texts),
    param("openNow", None, Shape::Bool),
    param("neighborhoods", Some("neighborhood"), Shape::Texts),
    param("accessibility", None, Shape::Enums),
    param("accessibilityFeatures", None, Shape::Enums),
    param("search", None, Shape::Text),
];

/// The parameters of `NewsFilter` that concern published news (editors' statuses are not
/// open data). `organization` is also accepted for `publishers`, as feed readers name it.
pub(crate) const NEWS_FILTER: &[Param] = &[
    param("categories", Some("category"), Shape::Texts),
    param("audiences", Some("audience"), Shape::Enums),
    param("publishers", Some("publisher"), Shape::Texts),
    param("organization", None, Shape::Texts),
    param("neighborhoods", Some("neighborhood"), Shape::Texts),
    param("tags", Some("tag"), Shape::Texts),
    param("search", None, Shape::Text),
    param("includeArchived", None, Shape::Bool),
];

/// The parameters of one request.
#[derive(Debug, Default)]
pub(crate) struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Reads a query string; one that does not decode is an error.
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let pairs = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|_| ApiError::bad_input("the query string is malformed"))?;
        Ok(Self { pairs })
    }

    /// The value of a parameter given once (an error when given twice).
    pub(crate) fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == name);
        let first = values.next().map(|(_, v)| v.as_str());
        if values.next().is_some() {
            return Err(ApiError::bad_input(format!(
                "the parameter `{name}` is given more than once"
            )));
        }
        Ok(first)
    }

    /// The page a paged export asks for: `limit` rows (1 to `max`, `default` when absent)
    /// after the cursor `after` (the one the `Link: rel="next"` of the page before gives).
    pub(crate) fn page(&self, default: usize, max: usize) -> Result<PageRequest, ApiError> {
        let size = match self.one("limit")? {
            None => default,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_input(format!(
                        "the parameter `limit` is a number from 1 to {max}"
                    ))
                })?,
        };
        let after = self.one("after")?.map(str::to_owned);
        Ok(PageRequest::after(size, after))
    }

    /// The filter `T` made of the parameters of `spec`. Every parameter of the request must
    /// be in `spec` (by name or alias) or in `others`, which the caller reads itself;
    /// anything else is an error naming the parameters this address takes.
    pub(crate) fn filter<T: InputType>(
        &self,
        spec: &[Param],
        others: &[&str],
    ) -> Result<T, ApiError> {
        let mut fields: IndexMap<Name, Value> = IndexMap::new();
        for (key, text) in &self.pairs {
            // Every export takes its language (see `Export`).
            if others.contains(&key.as_str()) || key == LANGUAGE {
                continue;
            }
            let Some(param) = spec
                .iter()
                .find(|p| p.name == key || p.alias == Some(key.as_str()))
            else {
                let mut known: Vec<&str> = spec.iter().map(|p| p.name).collect();
                known.extend(others);
                known.push(LANGUAGE);
                return Err(ApiError::bad_input(format!(
                    "unknown parameter `{key}`; this address takes {}",
                    known.join(", ")
                )));
            };
            // `organization` fills the graph's `publishers`.
            let field = if param.name == "organization" {
                "publishers"
            } else {
                param.name
            };
            let value = value_of(param, text)?;
            let name = Name::new(field);
            match (fields.get_mut(&name), value) {
                (Some(Value::List(items)), Value::List(more)) => items.extend(more),
                (Some(_), _) => {
                    return Err(ApiError::bad_input(format!(
                        "the parameter `{key}` is given more than once"
                    )));
                }
                (None, value) => {
                    fields.insert(name, value);
                }
            }
        }
        T::parse(Some(Value::Object(fields))).map_err(|error| {
            let message = error.into_server_error(Default::default()).message;
            ApiError::bad_input(format!("the filter parameters are not valid: {message}"))
        })
    }
}

fn value_of(param: &Param, text: &str) -> Result<Value, ApiError> {
    let name = param.name;
    let items = || {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
    };
    let enum_value = |item: &str| Value::Enum(Name::new(item.to_uppercase().replace('-', "_")));
    Ok(match param.shape {
        Shape::Text => Value::String(text.to_owned()),
        Shape::Texts => Value::List(items().map(|i| Value::String(i.to_owned())).collect()),
        Shape::Enum => enum_value(text.trim()),
        Shape::Enums => Value::List(items().map(enum_value).collect()),
        Shape::Bool => match text.trim() {
            "" | "true" | "1" => Value::Boolean(true),
            "false" | "0" => Value::Boolean(false),
            _ => {
                return Err(ApiError::bad_input(format!(
                    "the parameter `{name}` is `true` or `false`"
                )));
            }
        },
        Shape::Circle => {
            let invalid = || {
                ApiError::bad_input(format!(
                    "the parameter `{name}` is `latitude,longitude,radiusMeters` (e.g. `43.6045,1.4440,2000`)"
                ))
            };
            let parts: Vec<&str> = text.split(',').map(str::trim).collect();
            let [latitude, longitude, radius] = parts.as_slice() else {
                return Err(invalid());
            };
            let latitude: f64 = latitude.parse().map_err(|_| invalid())?;
            let longitude: f64 = longitude.parse().map_err(|_| invalid())?;
            let radius: i64 = radius.parse().map_err(|_| invalid())?;
            let number = |n: f64| Number::from_f64(n).map(Value::Number).ok_or_else(invalid);
            let mut circle = IndexMap::new();
            circle.insert(Name::new("latitude"), number(latitude)?);
            circle.insert(Name::new("longitude"), number(longitude)?);
            circle.insert(
                Name::new("radiusMeters"),
                Value::Number(Number::from(radius)),
            );
            Value::Object(circle)
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::query::events::EventFilter;
    use crate::types::Audience;

    fn filter(query: &str) -> Result<EventFilter, ApiError> {
        QueryParams::parse(Some(query))
            .unwrap()
            .filter(EVENT_FILTER, &["limit"])
    }

    #[test]
    fn lists_are_comma_separated_repeated_or_singular() {
        let f =
            filter("categories=concert,theatre&category=expo&audience=families&limit=3").unwrap();
        assert_eq!(
            f.categories.unwrap(),
            vec![
                "concert".to_owned(),
                "theatre".to_owned(),
                "expo".to_owned()
            ]
        );
        assert_eq!(f.audiences.unwrap(), vec![Audience::Families]);
    }

    #[test]
    fn a_circle_and_a_flag_read_as_in_the_graph() {
        let f = filter("near=43.6045,1.444,2000&freeOnly").unwrap();
        let near = f.near.unwrap();
        assert_eq!(near.radius_meters, 2000);
        assert!((near.longitude - 1.444).abs() < 1e-9);
        assert!(f.free_only);
    }

    #[test]
    fn unknown_and_malformed_parameters_are_explained() {
        let unknown = filter("color=red").err().unwrap();
        assert!(unknown.message().contains("unknown parameter `color`"));
        assert!(unknown.message().contains("startsAfter"));
        let circle = filter("near=43.6").err().unwrap();
        assert!(circle.message().contains("latitude,longitude,radiusMeters"));
        let date = filter("startsAfter=tomorrow").err().unwrap();
        assert!(date.message().contains("not valid"), "{}", date.message());
        let window = filter("window=someday").err().unwrap();
        assert!(
            window.message().contains("not valid"),
            "{}",
            window.message()
        );
    }
}
