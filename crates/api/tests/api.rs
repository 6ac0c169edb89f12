//! The GraphQL API over its HTTP router, in process, on SQLite and (when configured)
//! PostgreSQL: the wire contract, the public visibility rules and the cost of a page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use capitole_api::{ApiContext, GraphiqlAssets, HttpSettings, build_schema};
use capitole_persistence::entities::article;
use capitole_persistence::sea_orm::EntityTrait;
use capitole_persistence::testing::{TestDatabase, databases};
use capitole_persistence::{Database, seed};
use capitole_services::auth::Auth;
use capitole_services::auth::jwt::SigningKey;
use serde_json::{Value, json};
use tower::ServiceExt;

const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;
/// Unoptimised test builds take longer than a release build to walk a 100-item page, so
/// batches here wait longer for their keys than the 2 ms default of `capitole serve`.
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(25);

/// Accounts one address may create per hour in these tests, where every in-process request
/// comes from the same unknown address.
const SIGN_UPS_PER_ADDRESS: u32 = 25;

/// The wait before a failed webhook delivery is tried again, in these tests.
const WEBHOOK_FIRST_RETRY: std::time::Duration = std::time::Duration::from_millis(300);

/// The VAPID private key of these tests: 32 bytes of 9, base64url.
const TEST_VAPID_KEY: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk";

/// The key that signs access tokens in these tests: `test-key`, 32 bytes of 7.
const TEST_SECRET: [u8; 32] = [7; 32];

/// Where services that no test reads the mail of write it.
fn unread_mail() -> std::path::PathBuf {
    std::env::temp_dir().join("capitole-tests-unread-mail")
}

/// The context of a test service, whose account mail is written to `mail`.
async fn context(db: &Database, mail: &std::path::Path) -> ApiContext {
    use base64::Engine;
    let mailer = capitole_services::mail::Mailer::new(&capitole_services::mail::MailSettings {
        folder: mail.to_owned(),
        ..capitole_services::mail::MailSettings::default()
    })
    .unwrap();
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(TEST_SECRET);
    let key = SigningKey::parse(&format!("test-key:{secret}")).unwrap();
    ApiContext {
        db: db.clone(),
        reads: capitole_api::Reads::on_primary(db.clone()),
        timezone: PARIS,
        batch_delay: BATCH_DELAY,
        auth: std::sync::Arc::new(Auth::load(vec![key]).await.unwrap()),
        caches: Default::default(),
        webhooks: capitole_services::webhooks::Webhooks::new(
            capitole_services::webhooks::WebhookSettings {
                allow_local: true,
                retry: capitole_domain::webhook::RetryPolicy {
                    first_wait: WEBHOOK_FIRST_RETRY,
                    ..Default::default()
                },
                disable_after: 3,
                timeout: std::time::Duration::from_secs(5),
                per_app: 3,
            },
            mailer.clone(),
        )
        .unwrap(),
        push: capitole_services::push::Push::new(
            capitole_services::push::VapidKey::parse(TEST_VAPID_KEY).unwrap(),
            capitole_services::push::PushSettings {
                subject: "mailto:push@example.org".to_owned(),
                allow_local: true,
                reminders_every: std::time::Duration::from_millis(200),
                ..Default::default()
            },
        )
        .unwrap(),
        accounts: capitole_services::accounts::AccountSettings {
            sign_ups_per_address: SIGN_UPS_PER_ADDRESS,
            mailer,
        },
        change_retention: Default::default(),
        languages: Default::default(),
        images: capitole_api::ImageProxy::new(
            TEST_IMAGE_PROXY,
            Some(TEST_IMAGE_PROXY_KEY),
            Some(TEST_IMAGE_PROXY_SALT),
        )
        .unwrap(),
    }
}

/// The image proxy of test services, and its key and salt (imgproxy's documentation's).
pub(crate) const TEST_IMAGE_PROXY: &str = "https://img.example.org";
pub(crate) const TEST_IMAGE_PROXY_KEY: &str =
    "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881";
pub(crate) const TEST_IMAGE_PROXY_SALT: &str =
    "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5";

#[path = "api/accessibility.rs"]
mod accessibility;
#[path = "api/accounts.rs"]
mod accounts;
#[path = "api/announcements.rs"]
mod announcements;
#[path = "api/caching.rs"]
mod caching;
#[path = "api/calendars.rs"]
mod calendars;
#[path = "api/changes.rs"]
mod changes;
#[path = "api/columns.rs"]
mod columns;
#[path = "api/community.rs"]
mod community;
#[path = "api/easy_read.rs"]
mod easy_read;
#[path = "api/editorial.rs"]
mod editorial;
#[path = "api/events_editorial.rs"]
mod events_editorial;
#[path = "api/facets.rs"]
mod facets;
#[path = "api/feed.rs"]
mod feed;
#[path = "api/field_order.rs"]
mod field_order;
#[path = "api/item_media.rs"]
mod item_media;
#[path = "api/languages.rs"]
mod languages;
#[path = "api/linked_data.rs"]
mod linked_data;
#[path = "api/live.rs"]
mod live;
#[path = "api/mail.rs"]
mod mail;
#[path = "api/maps.rs"]
mod maps;
#[path = "api/maps_tables.rs"]
mod maps_tables;
#[path = "api/news_feeds.rs"]
mod news_feeds;
#[path = "api/open_data.rs"]
mod open_data;
#[path = "api/orders.rs"]
mod orders;
#[path = "api/paging.rs"]
mod paging;
#[path = "api/pictures.rs"]
mod pictures;
#[path = "api/push.rs"]
mod push;
#[path = "api/relations.rs"]
mod relations;
#[path = "api/responses.rs"]
mod responses;
#[path = "api/search.rs"]
mod search;
#[path = "api/sign_in.rs"]
mod sign_in;
#[path = "api/social_accounts.rs"]
mod social_accounts;
#[path = "api/vocabulary.rs"]
mod vocabulary;
#[path = "api/webhooks.rs"]
mod webhooks;

struct TestApp {
    router: Router,
    db: Database,
    /// The service's authentication, whose counters tests read.
    auth: std::sync::Arc<Auth>,
    /// The folder the service writes account mail to (removed with the app).
    mail: tempfile::TempDir,
    test_db: TestDatabase,
}

async fn apps() -> Vec<TestApp> {
    let mut out = Vec::new();
    for test_db in databases().await {
        seed::demo(&test_db.db, chrono::Utc::now(), PARIS)
            .await
            .unwrap();
        let settings = HttpSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            body_limit: 64 * 1024,
            cors_origins: vec!["https://app.example.org".into()],
            ..HttpSettings::default()
        };
        let mail = tempfile::tempdir().unwrap();
        let context = context(&test_db.db, mail.path()).await;
        let auth = context.auth.clone();
        let router = capitole_api::http::router(context, &settings);
        out.push(TestApp {
            router,
            db: test_db.db.clone(),
            auth,
            mail,
            test_db,
        });
    }
    out
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, headers, value)
}

fn post_json(body: &Value) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/graphql-response+json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn query(app: &TestApp, query: &str, variables: Value) -> Value {
    let (status, _, body) = send(
        &app.router,
        post_json(&json!({ "query": query, "variables": variables })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Waits until the current minute has at least five seconds left. Exports whose answers
/// change with time put the minute in their validators: an answer and its revalidation
/// asked across the turn of a minute rightly differ, so a test asks both within one.
async fn clear_of_the_minute_turn() {
    use chrono::Timelike;
    while chrono::Utc::now().second() >= 55 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn schema_graphql_is_the_exported_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == build_schema().sdl(),
        "schema.graphql is out of date: refresh it with `cargo run -q -- schema > schema.graphql`"
    );
}

#[test]
fn two_schema_builds_print_the_same_sdl_with_types_in_name_order() {
    let first = build_schema().sdl();
    assert!(
        first == build_schema().sdl(),
        "two builds of the schema print different SDL"
    );
    let document = async_graphql::parser::parse_schema(&first).unwrap();
    let names: Vec<&str> = document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(ty) => Some(ty.node.name.node.as_str()),
            _ => None,
        })
        .collect();
    assert!(names.len() > 50, "{names:?}");
    assert!(
        names.is_sorted(),
        "the SDL's types are not in name order: {names:?}"
    );
}

#[test]
fn every_argument_of_a_field_with_documented_arguments_is_on_a_line_of_its_own() {
    let sdl = build_schema().sdl();
    let document = async_graphql::parser::parse_schema(&sdl).unwrap();
    let mut checked = 0;
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let fields = match &ty.node.kind {
            TypeKind::Object(object) => &object.fields,
            TypeKind::Interface(interface) => &interface.fields,
            _ => continue,
        };
        for field in fields {
            let field = &field.node;
            let arguments = &field.arguments;
            if !arguments.iter().any(|a| a.node.description.is_some()) {
                continue;
            }
            // Each argument's name starts a line below the field's name and below the end
            // of the argument before it.
            let mut previous_line = field.name.pos.line;
            for argument in arguments {
                let argument = &argument.node;
                assert!(
                    argument.name.pos.line > previous_line,
                    "{}.{}({}:) shares a line with what comes before it",
                    ty.node.name.node,
                    field.name.node,
                    argument.name.node
                );
                previous_line = argument
                    .default_value
                    .as_ref()
                    .map_or(argument.ty.pos.line, |default| default.pos.line);
            }
            assert!(
                field.ty.pos.line > previous_line,
                "{}.{}: the closing parenthesis shares a line with the last argument",
                ty.node.name.node,
                field.name.node
            );
            checked += 1;
        }
    }
    assert!(
        checked > 20,
        "only {checked} fields with documented arguments"
    );
}

/// The introspection query's part that names every described thing of the schema.
const DESCRIPTIONS: &str = r#"{ __schema { types {
  name kind description
  fields(includeDeprecated: true) { name description args { name description } }
  inputFields { name description }
  enumValues(includeDeprecated: true) { name description }
} } }"#;

#[tokio::test]
async fn every_type_field_argument_input_field_and_enum_value_is_documented() {
    let response = build_schema().execute(DESCRIPTIONS).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let described = |item: &Value| {
        item["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        // GraphQL's own types and scalars are documented by the specification.
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if !described(ty) {
            missing.push(name.to_owned());
        }
        let empty = Vec::new();
        for field in ty["fields"].as_array().unwrap_or(&empty) {
            let field_name = field["name"].as_str().unwrap();
            if !described(field) {
                missing.push(format!("{name}.{field_name}"));
            }
            for arg in field["args"].as_array().unwrap_or(&empty) {
                if !described(arg) {
                    missing.push(format!(
                        "{name}.{field_name}({})",
                        arg["name"].as_str().unwrap()
                    ));
                }
            }
        }
        for input in ty["inputFields"].as_array().unwrap_or(&empty) {
            if !described(input) {
                missing.push(format!("{name}.{}", input["name"].as_str().unwrap()));
            }
        }
        for value in ty["enumValues"].as_array().unwrap_or(&empty) {
            if !described(value) {
                missing.push(format!("{name}.{}", value["name"].as_str().unwrap()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} undocumented: {}",
        missing.len(),
        missing.join(", ")
    );
}

/// The introspection query's part that says what every field returns and which types
/// unions gather.
const FIELD_TYPES: &str = r#"{ __schema { mutationType { name } types {
  name kind
  fields(includeDeprecated: true) { name type { ...Ref } }
  possibleTypes { name }
} } }
fragment Ref on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}"#;

/// The named type at the bottom of a field's type (through lists and non-null).
fn named_type(ty: &Value) -> &str {
    match ty["name"].as_str() {
        Some(name) => name,
        None => named_type(&ty["ofType"]),
    }
}

const FIELDS_AND_ARGUMENTS: &str = r#"{ __schema { types {
  name kind
  fields(includeDeprecated: true) { name type { ...Ref } args { name type { ...Ref } defaultValue } }
  inputFields { name type { ...Ref } }
} } }
fragment Ref on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}"#;

/// Whether the named type at the bottom of a field's type is a scalar.
fn is_scalar(ty: &Value) -> bool {
    match ty["name"].as_str() {
        Some(_) => ty["kind"] == "SCALAR",
        None => is_scalar(&ty["ofType"]),
    }
}

/// Whether a field's type is a list (under an optional non-null).
fn is_list(ty: &Value) -> bool {
    match ty["kind"].as_str() {
        Some("NON_NULL") => is_list(&ty["ofType"]),
        Some("LIST") => true,
        _ => false,
    }
}

#[tokio::test]
async fn every_list_that_grows_is_a_connection_paged_both_ways() {
    // Lists bounded by the item itself or by reference data stay lists; any other list of
    // objects must be a connection.
    const BOUNDED: &[&str] = &[
        "Event.translations",
        "Place.translations",
        "NewsArticle.translations",
        "Category.translations",
        "Neighborhood.translations",
        "Event.pictures",
        "Place.pictures",
        "Picture.variants",
        "Event.categories",
        "Event.publishers",
        "Event.neighborhoods",
        "NewsArticle.media",
        "Event.media",
        "Place.media",
        "NewsArticle.neighborhoods",
        "NewsArticle.categories",
        "NewsArticle.publishers",
        "NewsArticle.relatedEvents",
        "NewsArticle.relatedPlaces",
        "OpeningException.ranges",
        "OpeningHours.weekly",
        "OpeningHours.exceptions",
        "Organization.socialAccounts",
        "Place.categories",
        "Place.publishers",
        "Query.nodes",
        "Query.organizations",
        "Query.categories",
        "Query.neighborhoods",
        "Query.compareArticleRevisions",
        // At most 20 suggestions, as `first` says.
        "Query.suggest",
        // At most 1,000 cells of a grid.
        "Query.placeClusters",
        "User.organizations",
        "Viewer.organizations",
        // One value per category, neighbourhood, enum value or day (at most 62).
        "EventFacets.categories",
        "EventFacets.neighborhoods",
        "EventFacets.audiences",
        "EventFacets.accessibility",
        "EventFacets.isFree",
        "EventFacets.dates",
        "PlaceFacets.categories",
        "PlaceFacets.neighborhoods",
        "PlaceFacets.accessibility",
        "NewsFacets.categories",
        "NewsFacets.neighborhoods",
        "NewsFacets.audiences",
    ];
    let response = build_schema().execute(FIELDS_AND_ARGUMENTS).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let types = data["__schema"]["types"].as_array().unwrap();
    let kind_of = |name: &str| {
        types
            .iter()
            .find(|t| t["name"] == name)
            .and_then(|t| t["kind"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let empty = Vec::new();
    let mut broken = Vec::new();
    let mut connections = 0;
    for ty in types {
        let owner = ty["name"].as_str().unwrap();
        if owner.starts_with("__") || owner.ends_with("Connection") || owner.ends_with("Edge") {
            continue;
        }
        for field in ty["fields"].as_array().unwrap_or(&empty) {
            let coordinate = format!("{owner}.{}", field["name"].as_str().unwrap());
            let target = named_type(&field["type"]);
            if target.ends_with("Connection") {
                connections += 1;
                let args = field["args"].as_array().unwrap();
                for (name, expected) in [
                    ("first", "Int"),
                    ("after", "String"),
                    ("last", "Int"),
                    ("before", "String"),
                ] {
                    match args.iter().find(|a| a["name"] == name) {
                        Some(arg) if arg["type"]["name"] == expected => {
                            if !arg["defaultValue"].is_null() {
                                broken.push(format!(
                                    "{coordinate}({name}:) has a default of its own; pages hold 20 items unless asked"
                                ));
                            }
                        }
                        Some(arg) => broken.push(format!(
                            "{coordinate}({name}:) must be a nullable {expected}, not {}",
                            arg["type"]
                        )),
                        None => broken.push(format!("{coordinate} lacks `{name}`")),
                    }
                }
            } else if is_list(&field["type"])
                && ["OBJECT", "UNION", "INTERFACE"].contains(&kind_of(target).as_str())
                && !BOUNDED.contains(&coordinate.as_str())
            {
                broken.push(format!(
                    "{coordinate} is a list of {target} that is not a connection"
                ));
            }
        }
    }
    assert!(connections >= 15, "only {connections} connection fields");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[tokio::test]
async fn one_name_per_concept_across_items_and_filters() {
    let response = build_schema().execute(FIELDS_AND_ARGUMENTS).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let types = data["__schema"]["types"].as_array().unwrap();
    let empty = Vec::new();
    let type_of = |owner: &str, field: &str| -> Option<Value> {
        let ty = types.iter().find(|t| t["name"] == owner)?;
        ty["fields"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .chain(ty["inputFields"].as_array().unwrap_or(&empty))
            .find(|f| f["name"] == field)
            .map(|f| f["type"].clone())
    };
    let mut broken = Vec::new();
    // The same relation has the same name and type on every item.
    for item in ["NewsArticle", "Event", "Place"] {
        let publishers = type_of(item, "publishers");
        if publishers != type_of("NewsArticle", "publishers") {
            broken.push(format!("{item}.publishers is {publishers:?}"));
        }
        for gone in ["organizer", "owner", "organization", "organizations"] {
            if type_of(item, gone).is_some() {
                broken.push(format!("{item}.{gone} names publishers another way"));
            }
        }
    }
    // A filter field means the same in every filter.
    let filters: Vec<&Value> = types
        .iter()
        .filter(|t| t["kind"] == "INPUT_OBJECT" && t["name"].as_str().unwrap().ends_with("Filter"))
        .collect();
    assert!(filters.len() >= 3);
    let mut seen: std::collections::HashMap<String, (String, Value)> = Default::default();
    for filter in &filters {
        let owner = filter["name"].as_str().unwrap();
        for field in filter["inputFields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap().to_owned();
            match seen.get(&name) {
                Some((first, ty)) if ty != &field["type"] => broken.push(format!(
                    "{owner}.{name} is {}, but {first}.{name} is {ty}",
                    field["type"]
                )),
                Some(_) => {}
                None => {
                    seen.insert(name, (owner.to_owned(), field["type"].clone()));
                }
            }
        }
        for singular in [
            "organization",
            "neighborhood",
            "tag",
            "place",
            "category",
            "publisher",
        ] {
            if filter["inputFields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["name"] == singular)
            {
                broken.push(format!("{owner}.{singular}: relation filters take lists"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[tokio::test]
async fn addresses_emails_and_times_have_their_scalars_everywhere() {
    let response = build_schema().execute(FIELDS_AND_ARGUMENTS).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let expected = |name: &str| -> Option<&'static str> {
        if name.ends_with("Url") || name == "url" || name == "website" {
            Some("URL")
        } else if name == "email" || name.ends_with("Email") {
            Some("Email")
        } else if name.starts_with("local") && name.ends_with("At") {
            Some("LocalDateTime")
        } else if name.ends_with("At") && name.len() > 2 {
            Some("DateTime")
        } else {
            None
        }
    };
    let empty = Vec::new();
    let mut broken = Vec::new();
    let mut checked = 0;
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let owner = ty["name"].as_str().unwrap();
        if owner.starts_with("__") {
            continue;
        }
        let mut check = |coordinate: String, name: &str, ty: &Value| {
            // Only values are held to the rule (a mutation `verifyEmail` is not an address).
            if let Some(scalar) = expected(name).filter(|_| is_scalar(ty)) {
                checked += 1;
                if named_type(ty) != scalar {
                    broken.push(format!("{coordinate} is {}, not {scalar}", named_type(ty)));
                }
            }
        };
        for field in ty["fields"].as_array().unwrap_or(&empty) {
            let name = field["name"].as_str().unwrap();
            check(format!("{owner}.{name}"), name, &field["type"]);
            for arg in field["args"].as_array().unwrap_or(&empty) {
                let arg_name = arg["name"].as_str().unwrap();
                check(
                    format!("{owner}.{name}({arg_name}:)"),
                    arg_name,
                    &arg["type"],
                );
            }
        }
        for input in ty["inputFields"].as_array().unwrap_or(&empty) {
            let name = input["name"].as_str().unwrap();
            check(format!("{owner}.{name}"), name, &input["type"]);
        }
    }
    assert!(checked >= 40, "only {checked} fields checked");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[tokio::test]
async fn every_mutation_answers_a_payload_type_of_its_own() {
    let response = build_schema().execute(FIELD_TYPES).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let schema = &data["__schema"];
    let mutation_type = schema["mutationType"]["name"].as_str().unwrap();
    // Where each type is used: every field returning it, every union gathering it.
    let mut used_by: std::collections::HashMap<&str, Vec<String>> = Default::default();
    let mut mutations = Vec::new();
    let empty = Vec::new();
    for ty in schema["types"].as_array().unwrap() {
        let owner = ty["name"].as_str().unwrap();
        for field in ty["fields"].as_array().unwrap_or(&empty) {
            let name = field["name"].as_str().unwrap();
            used_by
                .entry(named_type(&field["type"]))
                .or_default()
                .push(format!("{owner}.{name}"));
            if owner == mutation_type {
                mutations.push(field);
            }
        }
        for member in ty["possibleTypes"].as_array().unwrap_or(&empty) {
            if ty["kind"] == "UNION" {
                used_by
                    .entry(member["name"].as_str().unwrap())
                    .or_default()
                    .push(format!("union {owner}"));
            }
        }
    }
    assert!(!mutations.is_empty());
    let mut broken = Vec::new();
    for field in mutations {
        let name = field["name"].as_str().unwrap();
        let mut chars = name.chars();
        let first = chars.next().unwrap().to_uppercase();
        let expected = format!("{first}{}Payload", chars.as_str());
        let ty = &field["type"];
        if ty["kind"] != "NON_NULL"
            || ty["ofType"]["kind"] != "OBJECT"
            || ty["ofType"]["name"] != expected.as_str()
        {
            broken.push(format!("{name} must return {expected}!, not {ty}"));
            continue;
        }
        let users = &used_by[expected.as_str()];
        if users != &[format!("{mutation_type}.{name}")] {
            broken.push(format!("{expected} is used elsewhere too: {users:?}"));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[tokio::test]
async fn a_page_costs_the_same_number_of_statements_whatever_its_size() {
    let events = "query($n: Int!) { events(first: $n, filter: { startsAfter: \"2000-01-01T00:00:00Z\" }) { edges { occurrence { startsAt } node { title venue { name location { latitude longitude } } publishers { name } categories { name parent { name } } neighborhoods { name } nextOccurrence { startsAt attendeeCount } } } } }";
    let places = "query($n: Int!) { places(first: $n) { nodes { name categories { name } neighborhood { name } publishers { name } upcomingEvents(first: 3) { nodes { title } } stats { checkInCount visitorCount tipCount rating hereNow } tips(first: 3) { nodes { text author { displayName } } } } } }";
    let news = "query($n: Int!) { news(first: $n) { nodes { title publishers { name } neighborhoods { name } relatedEvents { title } relatedPlaces { name } } } }";
    for app in apps().await {
        for (name, text) in [("events", events), ("places", places), ("news", news)] {
            let mut costs = Vec::new();
            for n in [2, 20, 100] {
                let before = app.db.statement_count();
                let body = query(&app, text, json!({ "n": n })).await;
                assert!(body.get("errors").is_none(), "{body}");
                costs.push(app.db.statement_count() - before);
            }
            assert!(
                costs.windows(2).all(|w| w[0] == w[1]),
                "{} {name}: statements per page size {costs:?}",
                app.test_db.label
            );
            assert!(costs[0] <= 12, "{} {name}: {costs:?}", app.test_db.label);
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn page_sizes_outside_one_to_one_hundred_are_refused_with_the_range() {
    // However far out of range, the same answer: the range, not the cost of the page.
    let nested = [
        "query($n: Int!) { places(first: $n) { totalCount } }",
        "query($n: Int!) { events(first: 1) { nodes { occurrences(first: $n) { totalCount } } } }",
        "query($n: Int!) { places(first: 1) { nodes { tips(first: $n) { totalCount } } } }",
        "query($n: Int!) { news(first: $n) { nodes { title } } events(first: $n) { nodes { title } } }",
    ];
    for app in apps().await {
        for text in nested {
            for first in [0, 101, -5, 1_000_000, i64::from(i32::MIN)] {
                let body = query(&app, text, json!({ "n": first })).await;
                assert_eq!(code(&body), "BAD_USER_INPUT", "{text} {first}: {body}");
                let message = body["errors"][0]["message"].as_str().unwrap();
                assert_eq!(
                    message,
                    format!("`first` must be between 1 and 100, got {first}"),
                    "{text}"
                );
            }
        }
        let literal = query(&app, "{ places(first: 1000000) { totalCount } }", json!({})).await;
        assert_eq!(code(&literal), "BAD_USER_INPUT", "{literal}");
        assert_eq!(
            literal["errors"][0]["message"],
            "`first` must be between 1 and 100, got 1000000"
        );
        let body = query(&app, "{ places(filter: { near: { latitude: 91, longitude: 0, radiusMeters: 10 } }) { totalCount } }", json!({})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        let body = query(&app, "{ places(filter: { near: { latitude: 43.6, longitude: 1.44, radiusMeters: 60000 } }) { totalCount } }", json!({})).await;
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("between 1 and 50000"),
            "{body}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn drafts_are_invisible_on_every_path() {
    for app in apps().await {
        let hidden: Vec<article::Model> = article::Entity::find()
            .all(app.db.connection())
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.status == "DRAFT" || a.status == "SCHEDULED")
            .collect();
        assert!(!hidden.is_empty());
        let listed = query(
            &app,
            "{ news(first: 100, filter: { includeArchived: true }) { nodes { slug } } }",
            json!({}),
        )
        .await;
        let listed: Vec<&str> = listed["data"]["news"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["slug"].as_str().unwrap())
            .collect();
        for a in &hidden {
            use base64::Engine;
            let id = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("NewsArticle:{}", a.id.simple()));
            let body = query(
                &app,
                "query($id: ID!, $slug: String!) { node(id: $id) { id } nodes(ids: [$id]) { id } byId: newsArticle(id: $id) { id } bySlug: newsArticle(slug: $slug) { id } }",
                json!({ "id": id, "slug": a.slug }),
            )
            .await;
            assert_eq!(
                body["data"],
                json!({ "node": null, "nodes": [null], "byId": null, "bySlug": null }),
                "{}",
                a.slug
            );
            assert!(!listed.contains(&a.slug.as_str()));
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn node_resolves_every_kind_of_object_and_refuses_foreign_ids() {
    for app in apps().await {
        let body = query(&app, "{ places(first: 1) { nodes { id name } } events(first: 1) { nodes { id title } } news(first: 1) { nodes { id title } } organizations { id name } }", json!({})).await;
        let data = &body["data"];
        let pairs = [
            (
                &data["places"]["nodes"][0]["id"],
                "... on Place { name }",
                &data["places"]["nodes"][0]["name"],
                "name",
            ),
            (
                &data["events"]["nodes"][0]["id"],
                "... on Event { title }",
                &data["events"]["nodes"][0]["title"],
                "title",
            ),
            (
                &data["news"]["nodes"][0]["id"],
                "... on NewsArticle { title }",
                &data["news"]["nodes"][0]["title"],
                "title",
            ),
            (
                &data["organizations"][0]["id"],
                "... on Organization { name }",
                &data["organizations"][0]["name"],
                "name",
            ),
        ];
        for (id, fragment, expected, field) in pairs {
            let text = format!("query($id: ID!) {{ node(id: $id) {{ id {fragment} }} }}");
            let found = query(&app, &text, json!({ "id": id })).await;
            assert_eq!(&found["data"]["node"][field], expected, "{found}");
        }
        let bad = query(&app, "{ node(id: \"bm9wZQ\") { id } }", json!({})).await;
        assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn article_bodies_come_as_markdown_sanitised_html_or_plain_text() {
    for app in apps().await {
        let body = query(&app, "{ news(first: 1) { nodes { md: body html: body(format: HTML) plain: body(format: PLAIN) } } }", json!({})).await;
        let node = &body["data"]["news"]["nodes"][0];
        let html = node["html"].as_str().unwrap();
        assert!(html.starts_with('<'), "{html}");
        assert!(!html.contains("<script"));
        let plain = node["plain"].as_str().unwrap();
        assert!(!plain.contains("**") && !plain.contains('<'), "{plain}");
        assert_ne!(node["md"], node["html"]);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn the_http_contract_follows_graphql_over_http() {
    for app in apps().await {
        let r = &app.router;
        // A query over GET works; a mutation over GET is refused with 405 and Allow: POST.
        let get = |q: &str| {
            let uri = format!(
                "/graphql?query={}",
                q.replace(' ', "%20")
                    .replace('{', "%7B")
                    .replace('}', "%7D")
            );
            Request::builder()
                .uri(uri)
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap()
        };
        let (status, headers, body) = send(r, get("{ organizations { name } }")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(body["data"]["organizations"].as_array().unwrap().len(), 2);
        let (status, headers, _) = send(r, get("mutation { doSomething }")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::ALLOW], "POST");

        // Request errors are 4xx without a data key.
        let (status, headers, body) =
            send(r, post_json(&json!({ "query": "{ organizations { name " }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            headers[header::VARY]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept,")
        );
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/graphql-response+json")
        );
        assert!(
            body.get("data").is_none() && body["errors"].is_array(),
            "{body}"
        );
        let (status, _, body) = send(r, post_json(&json!({ "query": "{ noSuchField }" }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.get("data").is_none());
        // A client that accepts only application/json predates the GraphQL response media
        // type: a document that does not parse or validate, or variables that do not fit,
        // answer 200 with the errors and no data, as the GraphQL-over-HTTP spec asks.
        let older = |body: &Value| {
            let mut request = post_json(body);
            request
                .headers_mut()
                .insert(header::ACCEPT, "application/json".parse().unwrap());
            request
        };
        for (document, variables) in [
            ("{ organizations { name ", json!({})),
            ("{ noSuchField }", json!({})),
            (
                "query($n: Int!) { places(first: $n) { totalCount } }",
                json!({ "n": "many" }),
            ),
        ] {
            let body = json!({ "query": document, "variables": variables });
            let (status, headers, answer) = send(r, older(&body)).await;
            assert_eq!(status, StatusCode::OK, "{document}: {answer}");
            assert!(
                headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json")
            );
            assert!(
                answer.get("data").is_none() && code(&answer) == "BAD_USER_INPUT",
                "{document}: {answer}"
            );
            let (status, _, answer) = send(r, post_json(&body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{document}: {answer}");
        }
        let raw = |content_type: &str, body: &str| {
            Request::builder()
                .method(Method::POST)
                .uri("/graphql")
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body.to_owned()))
                .unwrap()
        };
        assert_eq!(
            send(r, raw("application/json", "{not json")).await.0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            send(
                r,
                raw("text/plain", "{\"query\":\"{ organizations { name } }\"}")
            )
            .await
            .0,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let batch = json!([{ "query": "{ organizations { name } }" }, { "query": "{ organizations { name } }" }]);
        assert_eq!(
            send(r, raw("application/json", &batch.to_string())).await.0,
            StatusCode::BAD_REQUEST
        );
        let huge = json!({ "query": format!("{{ organizations {{ name }} }} #{}", "x".repeat(100 * 1024)) });
        assert_eq!(
            send(r, raw("application/json", &huge.to_string())).await.0,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        let mut unacceptable = post_json(&json!({ "query": "{ organizations { name } }" }));
        unacceptable
            .headers_mut()
            .insert(header::ACCEPT, "text/html".parse().unwrap());
        assert_eq!(send(r, unacceptable).await.0, StatusCode::NOT_ACCEPTABLE);

        // Execution errors keep 200 and data.
        let (status, _, body) = send(
            r,
            post_json(&json!({ "query": "{ places(first: 500) { totalCount } }" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.get("data").is_some() && code(&body) == "BAD_USER_INPUT",
            "{body}"
        );

        // Large answers are gzip-compressed for clients that accept it.
        let mut big =
            post_json(&json!({ "query": "{ places(first: 100) { nodes { name description } } }" }));
        big.headers_mut()
            .insert(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
        let response = r.clone().oneshot(big).await.unwrap();
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");

        // Health, readiness, metrics, request ids.
        let plain = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
        let (status, headers, _) = send(r, plain("/healthz")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.contains_key("x-request-id"));
        assert_eq!(send(r, plain("/readyz")).await.0, StatusCode::OK);
        let (_, _, metrics) = send(r, plain("/metrics")).await;
        let metrics = metrics.as_str().unwrap_or_default().to_owned();
        assert!(
            metrics.contains("capitole_db_statements_total"),
            "{metrics}"
        );
        assert!(
            metrics.contains("capitole_graphql_requests_total"),
            "{metrics}"
        );
        let (status, _, page) = send(r, plain("/graphiql")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.as_str().unwrap_or_default().contains("query CityHome"));
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn places_filters_and_orders_answer_as_documented() {
    for app in apps().await {
        let body = query(&app, "{ places(first: 100, orderBy: POPULARITY) { nodes { popularity } } museums: places(first: 100, filter: { categories: [\"culture\"] }) { totalCount nodes { categories { slug parent { slug } } } } open: places(first: 100, filter: { openNow: true }) { nodes { isOpenNow } } }", json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        let popularity: Vec<i64> = body["data"]["places"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["popularity"].as_i64().unwrap())
            .collect();
        assert!(popularity.windows(2).all(|w| w[0] >= w[1]));
        assert!(body["data"]["museums"]["totalCount"].as_i64().unwrap() > 0);
        assert!(
            body["data"]["open"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["isOpenNow"] == json!(true))
        );
        let unknown = query(
            &app,
            "{ places(filter: { categories: [\"spaceport\"] }) { totalCount } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&unknown), "BAD_USER_INPUT");
        app.test_db.remove().await;
    }
}

/// GraphiQL's pinned files, as `graphiql-assets.txt` lists them: (`package@version/file`,
/// integrity).
fn pinned_graphiql_assets() -> Vec<(String, String)> {
    include_str!("../src/http/graphiql-assets.txt")
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (format!("{}/{}", fields[0], fields[1]), fields[2].to_owned())
        })
        .collect()
}

/// The text of the first element of a page that opens with `<{opening}`, up to its end tag.
fn inline(page: &str, opening: &str) -> String {
    let name = opening.split_whitespace().next().unwrap();
    let open = page.find(&format!("<{opening}")).unwrap();
    let start = open + page[open..].find('>').unwrap() + 1;
    let end = start + page[start..].find(&format!("</{name}>")).unwrap();
    page[start..end].to_owned()
}

/// The CSP hash source of an inline script or style.
fn hash_source(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The sources of one directive of a policy.
fn directive<'a>(policy: &'a str, name: &str) -> Vec<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
        .map(|rest| rest.split_whitespace().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    for app in apps().await {
        let r = &app.router;
        let label = &app.test_db.label;
        let plain = |method: Method, uri: &str| {
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap()
        };
        let wrong_type = Request::builder()
            .method(Method::POST)
            .uri("/graphql")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("{}"))
            .unwrap();
        let preflight = Request::builder()
            .method(Method::OPTIONS)
            .uri("/graphql")
            .header(header::ORIGIN, "https://app.example.org")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .unwrap();
        let requests = [
            (
                post_json(&json!({ "query": "{ organizations { name } }" })),
                StatusCode::OK,
            ),
            (
                post_json(&json!({ "query": "{ organizations {" })),
                StatusCode::BAD_REQUEST,
            ),
            (wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE),
            // Without Accept, the answer is application/json: an unparsable document is
            // 200 with its errors.
            (plain(Method::GET, "/graphql?query=%7B"), StatusCode::OK),
            (
                plain(Method::DELETE, "/graphql"),
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            (plain(Method::GET, "/nowhere"), StatusCode::NOT_FOUND),
            (
                plain(Method::GET, "/graphiql/assets/react.js"),
                StatusCode::NOT_FOUND,
            ),
            (plain(Method::GET, "/healthz"), StatusCode::OK),
            (plain(Method::GET, "/readyz"), StatusCode::OK),
            (plain(Method::GET, "/metrics"), StatusCode::OK),
            (preflight, StatusCode::OK),
        ];
        for (request, expected) in requests {
            let what = format!("{} {}", request.method(), request.uri());
            let (status, headers, body) = send(r, request).await;
            assert_eq!(status, expected, "{label}: {what}: {body}");
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{what}");
            assert_eq!(
                headers[header::CONTENT_SECURITY_POLICY],
                "default-src 'none'; frame-ancestors 'none'",
                "{what}"
            );
        }
        // GraphiQL's page has its own policy, and the same other headers.
        let (status, headers, page) = send(r, plain(Method::GET, "/graphiql")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(page.as_str().unwrap().contains("query CityHome"));
        assert_eq!(directive(policy, "frame-ancestors"), ["'none'"], "{policy}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn graphiql_from_the_cdn_loads_only_the_pinned_files_and_its_own_inline_code() {
    let test_db = capitole_persistence::testing::sqlite().await;
    let router = capitole_api::http::router(
        context(&test_db.db, &unread_mail()).await,
        &HttpSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            graphiql_assets: GraphiqlAssets::Cdn,
            ..HttpSettings::default()
        },
    );
    let get = || {
        Request::builder()
            .uri("/graphiql")
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, page) = send(&router, get()).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap().to_owned();
    let policy = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");

    // Each pinned file, at its exact version on unpkg, with its integrity; nothing else.
    let pinned = pinned_graphiql_assets();
    assert_eq!(pinned.len(), 4, "{pinned:?}");
    let mut scripts = Vec::new();
    let mut styles = Vec::new();
    for (path, integrity) in &pinned {
        let url = format!("https://unpkg.com/{path}");
        let tag = if path.ends_with(".css") {
            styles.push(url.clone());
            format!(
                "<link rel=\"stylesheet\" href=\"{url}\" integrity=\"{integrity}\" crossorigin=\"anonymous\">"
            )
        } else {
            scripts.push(url.clone());
            format!(
                "<script src=\"{url}\" integrity=\"{integrity}\" crossorigin=\"anonymous\"></script>"
            )
        };
        assert!(page.contains(&tag), "{tag} in {page}");
    }
    assert_eq!(page.matches("src=").count(), 3, "{page}");
    assert_eq!(page.matches("href=").count(), 2, "{page}");
    assert!(
        page.contains("<link rel=\"icon\" href=\"data:,\">"),
        "{page}"
    );
    assert!(!page.contains("@4/") && !page.contains("@18/"), "{page}");

    // The policy allows those URLs, the inline script and style by their hashes, and the
    // styles of GraphiQL's dialogs by this response's nonce.
    let script = inline(&page, "script nonce");
    let style = inline(&page, "style");
    let nonce = {
        let start = page.find("<script nonce=\"").unwrap() + "<script nonce=\"".len();
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    };
    assert!(script.contains("query CityHome") && script.contains("__webpack_nonce__"));
    let mut expected_scripts: Vec<String> = scripts;
    expected_scripts.push(hash_source(&script));
    let mut expected_styles: Vec<String> = styles;
    expected_styles.push(hash_source(&style));
    expected_styles.push(format!("'nonce-{nonce}'"));
    assert_eq!(
        directive(&policy, "script-src"),
        expected_scripts,
        "{policy}"
    );
    assert_eq!(directive(&policy, "style-src"), expected_styles, "{policy}");
    assert_eq!(directive(&policy, "default-src"), ["'none'"], "{policy}");
    assert_eq!(directive(&policy, "connect-src"), ["'self'"], "{policy}");
    assert_eq!(directive(&policy, "img-src"), ["data:"], "{policy}");
    assert_eq!(directive(&policy, "font-src"), ["data:"], "{policy}");
    for (name, value) in [
        ("frame-ancestors", "'none'"),
        ("base-uri", "'none'"),
        ("object-src", "'none'"),
        ("form-action", "'none'"),
    ] {
        assert_eq!(directive(&policy, name), [value], "{policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");

    // A nonce serves once.
    let (_, again, _) = send(&router, get()).await;
    assert!(
        !again[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains(&nonce)
    );
    test_db.remove().await;
}

#[tokio::test]
async fn graphiql_loads_its_assets_from_a_local_folder_when_configured() {
    let test_db = capitole_persistence::testing::sqlite().await;
    let dir = std::env::temp_dir().join(format!("capitole-graphiql-{}", std::process::id()));
    let (graphiql_js, _) = pinned_graphiql_assets()
        .into_iter()
        .find(|(path, _)| path.starts_with("graphiql@") && path.ends_with(".js"))
        .unwrap();
    std::fs::create_dir_all(dir.join(graphiql_js.split('/').next().unwrap())).unwrap();
    std::fs::write(dir.join(&graphiql_js), "/* graphiql */").unwrap();
    let settings = HttpSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        body_limit: 1024,
        graphiql_assets: GraphiqlAssets::Folder(dir.clone()),
        cors_origins: Vec::new(),
        ..HttpSettings::default()
    };
    let router = capitole_api::http::router(context(&test_db.db, &unread_mail()).await, &settings);
    let get = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, headers, page) = send(&router, get("/graphiql")).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap().to_owned();
    assert!(
        page.contains(&format!("src=\"/graphiql/assets/{graphiql_js}\"")),
        "{page}"
    );
    assert!(!page.contains("unpkg.com"));
    // Served by Capitole itself, the files are 'self', and nothing comes from elsewhere.
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert_eq!(directive(policy, "script-src")[0], "'self'", "{policy}");
    assert_eq!(directive(policy, "style-src")[0], "'self'", "{policy}");
    assert!(
        !policy.contains("unpkg.com") && !policy.contains("https:"),
        "{policy}"
    );
    let (status, headers, script) =
        send(&router, get(&format!("/graphiql/assets/{graphiql_js}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(script, json!("/* graphiql */"));
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        send(&router, get("/graphiql/assets/../Cargo.toml")).await.0,
        StatusCode::NOT_FOUND
    );
    std::fs::remove_dir_all(dir).unwrap();
    test_db.remove().await;
}

#[tokio::test]
async fn graphiql_serves_its_built_in_files_by_default_and_needs_nothing_from_elsewhere() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let test_db = capitole_persistence::testing::sqlite().await;
    let router = capitole_api::http::router(
        context(&test_db.db, &unread_mail()).await,
        &HttpSettings::default(),
    );
    let get = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, headers, page) = send(&router, get("/graphiql")).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap().to_owned();
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        !page.contains("https://") && !policy.contains("https:"),
        "{page}\n{policy}"
    );
    assert_eq!(directive(policy, "script-src")[0], "'self'", "{policy}");
    // Each pinned file is served, byte for byte the file its integrity names.
    for (path, integrity) in pinned_graphiql_assets() {
        assert!(
            page.contains(&format!(
                "\"/graphiql/assets/{path}\" integrity=\"{integrity}\""
            )),
            "{path} in {page}"
        );
        let response = router
            .clone()
            .oneshot(get(&format!("/graphiql/assets/{path}")))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let media = headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(
            media.starts_with(if path.ends_with(".css") {
                "text/css"
            } else {
                "text/javascript"
            }),
            "{path}: {media}"
        );
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let digest = sha2::Sha384::digest(&bytes);
        assert_eq!(
            format!(
                "sha384-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ),
            integrity,
            "{path}"
        );
    }
    assert_eq!(
        send(&router, get("/graphiql/assets/graphiql@4.1.2/other.js"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // The page names no icon to fetch, and a browser that asks anyway is told there is none.
    assert!(
        page.contains("<link rel=\"icon\" href=\"data:,\">"),
        "{page}"
    );
    assert_eq!(
        send(&router, get("/favicon.ico")).await.0,
        StatusCode::NO_CONTENT
    );
    test_db.remove().await;
}

// --- Limits and rate limits -------------------------------------------------------------------

/// The query GraphiQL sends to learn the schema (graphql-js `getIntrospectionQuery` with
/// `inputValueDeprecation`, as GraphiQL 4 asks it): 15 levels deep.
const GRAPHIQL_INTROSPECTION: &str = r"
    query IntrospectionQuery {
      __schema {
        queryType { name kind }
        mutationType { name kind }
        subscriptionType { name kind }
        types {
          ...FullType
        }
        directives {
          name
          description
          locations
          args(includeDeprecated: true) {
            ...InputValue
          }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      fields(includeDeprecated: true) {
        name
        description
        args(includeDeprecated: true) {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields(includeDeprecated: true) {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
      isDeprecated
      deprecationReason
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                    ofType {
                      kind
                      name
                      ofType {
                        kind
                        name
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
";

/// The four queries of `bench/run.sh`, with the variables they need besides ids.
const BENCH_QUERIES: [&str; 4] = [
    "{ events(first: 20) { edges { occurrence { startsAt } node { title venue { name location { latitude longitude } } } } } }",
    "query($id: ID!) { node(id: $id) { ... on Place { name categories { name } openingHours { weekly { day opens closes } } } } }",
    "{ places(first: 20, filter: { near: { latitude: 43.6045, longitude: 1.4440, radiusMeters: 1000 } }, orderBy: DISTANCE) { edges { distanceMeters node { name } } } }",
    "{ news(first: 20) { nodes { title summary publishers { name } } } }",
];

/// The start of a minute (2027-01-15T08:00:00Z), so that tests know how far its end is.
const WINDOW_START_MS: i64 = 1_800_000_000_000;

/// A clock tests move by hand; it starts 20 s into a window.
fn test_clock() -> (
    capitole_api::Clock,
    std::sync::Arc<std::sync::atomic::AtomicI64>,
) {
    let now = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(WINDOW_START_MS + 20_000));
    let read = now.clone();
    let clock = capitole_api::Clock::from_fn(move || {
        chrono::DateTime::from_timestamp_millis(read.load(std::sync::atomic::Ordering::SeqCst))
            .unwrap()
    });
    (clock, now)
}

/// The demo city on SQLite behind a router with these settings.
async fn limited_app(settings: HttpSettings) -> (Router, TestDatabase) {
    let test_db = capitole_persistence::testing::sqlite().await;
    seed::demo(&test_db.db, chrono::Utc::now(), PARIS)
        .await
        .unwrap();
    let router = limited_router(&test_db, &settings).await;
    (router, test_db)
}

async fn limited_router(test_db: &TestDatabase, settings: &HttpSettings) -> Router {
    capitole_api::http::router(context(&test_db.db, &unread_mail()).await, settings)
}

fn budget(anonymous: u64) -> capitole_api::RateLimitSettings {
    let (clock, _) = test_clock();
    capitole_api::RateLimitSettings {
        budgets: capitole_api::TierBudgets {
            anonymous,
            ..capitole_api::TierBudgets::default()
        },
        clock,
        ..capitole_api::RateLimitSettings::default()
    }
}

/// A POST as if it came from `peer`, optionally through a proxy saying `forwarded_for`.
fn post_from(body: &Value, peer: &str, forwarded_for: Option<&str>) -> Request<Body> {
    let mut request = post_json(body);
    let peer: std::net::SocketAddr = peer.parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    if let Some(value) = forwarded_for {
        request
            .headers_mut()
            .insert("x-forwarded-for", value.parse().unwrap());
    }
    request
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn queries_over_a_limit_are_refused_before_they_run_and_the_server_goes_on() {
    let (router, test_db) = limited_app(HttpSettings::default()).await;
    let deep = "{ places(first: 1) { nodes { ...a } } } fragment a on Place { upcomingEvents { nodes { venue { upcomingEvents { nodes { venue { upcomingEvents { nodes { venue { upcomingEvents { totalCount } } } } } } } } } } }";
    let aliases: Vec<String> = (0..40)
        .map(|i| format!("o{i}: organizations {{ name }}"))
        .collect();
    let mut bomb = String::from("{ ...f0 }\nfragment f12 on Query { organizations { name } }\n");
    for i in 0..12 {
        let next = i + 1;
        bomb.push_str(&format!(
            "fragment f{i} on Query {{ ...f{next} ...f{next} ...f{next} }}\n"
        ));
    }
    let directives = format!(
        "{{ organizations {} {{ name }} }}",
        "@include(if: true) ".repeat(500)
    );
    let ids: Vec<String> = (0..10_000).map(|i| format!("id{i}")).collect();
    let cases: Vec<(String, Value, &str, &str)> = vec![
        (
            deep.to_owned(),
            json!({}),
            "QUERY_TOO_COMPLEX",
            "the query is 13 levels deep; the limit is 12",
        ),
        (
            format!("{{ {} }}", aliases.join(" ")),
            json!({}),
            "QUERY_TOO_COMPLEX",
            "the query uses 40 aliases; the limit is 30",
        ),
        (
            bomb,
            json!({}),
            "QUERY_TOO_COMPLEX",
            "the query expands to more than 2000 fields",
        ),
        (
            directives,
            json!({}),
            "QUERY_TOO_COMPLEX",
            "a field carries 500 directives; the limit is 4 per field",
        ),
        (
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }".to_owned(),
            json!({ "ids": ids }),
            "BAD_USER_INPUT",
            "`$ids` has 10000 items; the limit is 100",
        ),
        (
            format!("{{ organizations {{ name }} }} #{}", "x".repeat(40_000)),
            json!({}),
            "QUERY_TOO_COMPLEX",
            "the query document is 40028 bytes; the limit is 32768 bytes",
        ),
        (
            "{ places(first: 100) { nodes { upcomingEvents(first: 100) { nodes { occurrences(first: 100) { nodes { startsAt } } } } } } }".to_owned(),
            json!({}),
            "QUERY_TOO_COMPLEX",
            "the query may return 1010100 objects; the limit is 50000",
        ),
    ];
    for (query, variables, expected_code, expected_message) in cases {
        let before = test_db.db.statement_count();
        let request = post_json(&json!({ "query": query, "variables": variables }));
        let (status, _, body) = send(&router, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(code(&body), expected_code, "{body}");
        assert!(message(&body).contains(expected_message), "{body}");
        assert_eq!(test_db.db.statement_count(), before, "{expected_message}");
    }
    let fine = json!({ "query": "{ organizations { name } }" });
    let (status, _, body) = send(&router, post_json(&fine)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["organizations"].as_array().unwrap().len(), 2);
    let plain = Request::builder()
        .uri("/metrics")
        .body(Body::empty())
        .unwrap();
    let (_, _, metrics) = send(&router, plain).await;
    let metrics = metrics.as_str().unwrap_or_default();
    assert!(
        metrics.contains("capitole_graphql_rejections_total{limit=\"depth\"}"),
        "{metrics}"
    );
    test_db.remove().await;
}

#[tokio::test]
async fn fragment_cycles_are_refused_by_validation() {
    let (router, test_db) = limited_app(HttpSettings::default()).await;
    let cycle =
        "{ ...a } fragment a on Query { organizations { name } ...b } fragment b on Query { ...a }";
    let (status, _, body) = send(&router, post_json(&json!({ "query": cycle }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.get("data").is_none());
    test_db.remove().await;
}

#[tokio::test]
async fn graphiql_introspection_passes_the_limits() {
    let (router, test_db) = limited_app(HttpSettings::default()).await;
    let (status, _, body) = send(
        &router,
        post_json(
            &json!({ "query": GRAPHIQL_INTROSPECTION, "operationName": "IntrospectionQuery" }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert!(
        body["data"]["__schema"]["types"].as_array().unwrap().len() > 20,
        "{body}"
    );
    assert_eq!(body["extensions"]["rateLimit"]["cost"], json!(1));
    test_db.remove().await;
}

#[tokio::test]
async fn known_queries_cost_what_the_limits_guide_says() {
    let (router, test_db) = limited_app(HttpSettings::default()).await;
    let page = include_str!("../src/http/graphiql.js");
    let start = page.find("query CityHome").unwrap();
    let example = &page[start..start + page[start..].find('`').unwrap()];
    let (_, _, found) = send(
        &router,
        post_json(&json!({ "query": "{ places(first: 1) { nodes { id } } }" })),
    )
    .await;
    let place_id = found["data"]["places"]["nodes"][0]["id"].clone();
    let nested = "{ places(first: 100) { nodes { upcomingEvents(first: 10) { nodes { title categories { name } } } } } }";
    let mut cases: Vec<(&str, Value, u64)> = vec![(example, json!({}), 1), (nested, json!({}), 11)];
    for query in BENCH_QUERIES {
        cases.push((query, json!({ "id": place_id }), 1));
    }
    for (query, variables, cost) in cases {
        let (status, _, body) = send(
            &router,
            post_json(&json!({ "query": query, "variables": variables })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(
            body["extensions"]["rateLimit"]["cost"],
            json!(cost),
            "{query}"
        );
    }
    // The `rateLimit` field tells the same, with the objects the query may return.
    let (_, _, body) = send(
        &router,
        post_json(&json!({ "query": format!("{{ rateLimit {{ cost nodeCount limit remaining resetAt }} {} }}", &nested[1..nested.len() - 1]) })),
    )
    .await;
    assert_eq!(body["data"]["rateLimit"]["cost"], json!(11), "{body}");
    assert_eq!(body["data"]["rateLimit"]["nodeCount"], json!(11_100));
    assert_eq!(body["data"]["rateLimit"]["limit"], json!(1000));
    test_db.remove().await;
}

#[tokio::test]
async fn responses_report_the_budget_in_extensions_and_headers() {
    let (router, test_db) = limited_app(HttpSettings {
        rate_limit: budget(1000),
        ..HttpSettings::default()
    })
    .await;
    let query =
        json!({ "query": "{ organizations { name } rateLimit { cost limit remaining resetAt } }" });
    let (status, headers, body) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["ratelimit-policy"], "\"anonymous\";q=1000;w=60");
    assert_eq!(headers["ratelimit"], "\"anonymous\";r=999;t=40");
    let reset_at = "2027-01-15T08:01:00+00:00";
    assert_eq!(
        body["extensions"]["rateLimit"],
        json!({ "cost": 1, "limit": 1000, "remaining": 999, "resetAt": reset_at })
    );
    assert_eq!(
        body["data"]["rateLimit"],
        json!({ "cost": 1, "limit": 1000, "remaining": 999, "resetAt": reset_at })
    );
    let (_, headers, _) = send(&router, post_json(&query)).await;
    assert_eq!(headers["ratelimit"], "\"anonymous\";r=998;t=40");
    test_db.remove().await;
}

#[tokio::test]
async fn a_spent_budget_answers_429_until_the_window_ends() {
    let (clock, now) = test_clock();
    let (router, test_db) = limited_app(HttpSettings {
        rate_limit: capitole_api::RateLimitSettings { clock, ..budget(3) },
        ..HttpSettings::default()
    })
    .await;
    let query = json!({ "query": "{ organizations { name } }" });
    for remaining in [2, 1, 0] {
        let (status, _, body) = send(&router, post_json(&query)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["extensions"]["rateLimit"]["remaining"],
            json!(remaining)
        );
    }
    let before = test_db.db.statement_count();
    let (status, headers, body) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers[header::RETRY_AFTER], "40");
    assert_eq!(headers["ratelimit"], "\"anonymous\";r=0;t=40");
    assert_eq!(code(&body), "RATE_LIMITED");
    assert!(body.get("data").is_none(), "{body}");
    assert!(message(&body).contains("refills in 40 s"), "{body}");
    assert_eq!(test_db.db.statement_count(), before, "the query ran");
    // The next minute, the budget is whole again.
    now.fetch_add(40_000, std::sync::atomic::Ordering::SeqCst);
    let (status, headers, body) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["ratelimit"], "\"anonymous\";r=2;t=60");
    test_db.remove().await;
}

#[tokio::test]
async fn queries_that_outrun_the_execution_timeout_fail_cleanly() {
    let (router, test_db) = limited_app(HttpSettings {
        limits: capitole_api::QueryLimits {
            execution_timeout: std::time::Duration::ZERO,
            ..capitole_api::QueryLimits::default()
        },
        ..HttpSettings::default()
    })
    .await;
    let query = json!({ "query": "{ places(first: 100) { nodes { name } } }" });
    let (status, _, body) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(code(&body), "SERVICE_UNAVAILABLE");
    assert!(
        message(&body).contains("did not finish within 0 s"),
        "{body}"
    );
    test_db.remove().await;
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_trusted_proxies() {
    let (router, test_db) = limited_app(HttpSettings {
        rate_limit: budget(1),
        trusted_proxies: capitole_api::TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]),
        ..HttpSettings::default()
    })
    .await;
    let query = json!({ "query": "{ organizations { name } }" });
    // A client that is no proxy cannot buy a new budget by writing X-Forwarded-For.
    let (status, _, _) = send(
        &router,
        post_from(&query, "198.51.100.1:5000", Some("203.0.113.5")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(
        &router,
        post_from(&query, "198.51.100.1:5001", Some("203.0.113.6")),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Behind our proxy, each forwarded client has its own budget.
    for client in ["203.0.113.7", "203.0.113.8"] {
        let (status, _, _) = send(&router, post_from(&query, "10.0.0.2:6000", Some(client))).await;
        assert_eq!(status, StatusCode::OK, "{client}");
    }
    let (status, _, _) = send(
        &router,
        post_from(&query, "10.0.0.3:6000", Some("203.0.113.7")),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Without a socket address (in-process callers), requests share one budget.
    let (status, _, _) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    test_db.remove().await;
}

/// The values of the `operation` label in Prometheus text that start with `prefix`.
fn operation_labels(metrics: &str, prefix: &str) -> std::collections::BTreeSet<String> {
    metrics
        .lines()
        .filter(|line| line.starts_with("capitole_graphql_request"))
        .filter_map(|line| line.split("operation=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|label| label.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn invented_operation_names_get_a_bounded_number_of_metric_labels() {
    use futures_util::StreamExt;
    let (router, test_db) = limited_app(HttpSettings {
        rate_limit: budget(1_000_000),
        metrics_operations: vec!["LabelProbeKnown".to_owned()],
        metrics_unlisted_operations: 5,
        ..HttpSettings::default()
    })
    .await;
    futures_util::stream::iter(0..10_000)
        .map(|n| {
            let router = router.clone();
            async move {
                let query = format!("query LabelProbe{n} {{ __typename }}");
                send(&router, post_json(&json!({ "query": query }))).await
            }
        })
        .buffer_unordered(8)
        .for_each(|(status, _, body)| async move {
            assert_eq!(status, StatusCode::OK, "{body}");
        })
        .await;
    // A known name keeps its label after the others have run out.
    let known = json!({ "query": "query LabelProbeKnown { __typename }" });
    assert_eq!(send(&router, post_json(&known)).await.0, StatusCode::OK);
    let metrics = Request::get("/metrics").body(Body::empty()).unwrap();
    let (status, _, metrics) = send(&router, metrics).await;
    assert_eq!(status, StatusCode::OK);
    let metrics = metrics.as_str().unwrap();
    let labels = operation_labels(metrics, "LabelProbe");
    let some: Vec<&String> = labels.iter().take(10).collect();
    assert!(labels.contains("LabelProbeKnown"), "{some:?}");
    assert_eq!(
        labels.len(),
        5 + 1,
        "five names seen first and the known one: {some:?}…"
    );
    assert!(
        metrics.contains("capitole_graphql_requests_total{operation=\"other\",outcome=\"ok\"}"),
        "later names count as other"
    );
    test_db.remove().await;
}

/// The Redis server of tests, from `CAPITOLE_TEST_REDIS_URL`; without it, Redis tests are
/// skipped with a notice, except under CI (`CI` set), where they fail.
fn test_redis_url() -> Option<String> {
    match std::env::var("CAPITOLE_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CAPITOLE_TEST_REDIS_URL is not set: CI must run the Redis tests")
        }
        _ => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "notice: Redis tests skipped; set CAPITOLE_TEST_REDIS_URL=redis://127.0.0.1:6379 to run them"
            );
            None
        }
    }
}

#[tokio::test]
async fn replicas_sharing_redis_share_one_budget() {
    let Some(url) = test_redis_url() else { return };
    let prefix = format!(
        "capitole-test:{}:{}:",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    );
    let settings = HttpSettings {
        rate_limit: capitole_api::RateLimitSettings {
            redis_url: Some(url),
            redis_key_prefix: prefix,
            ..budget(3)
        },
        ..HttpSettings::default()
    };
    let (first, test_db) = limited_app(settings.clone()).await;
    let second = limited_router(&test_db, &settings).await;
    let query = json!({ "query": "{ organizations { name } }" });
    let mut seen = Vec::new();
    for router in [&first, &second, &first] {
        let (status, _, body) = send(router, post_json(&query)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.push(body["extensions"]["rateLimit"]["remaining"].clone());
    }
    assert_eq!(seen, vec![json!(2), json!(1), json!(0)]);
    let (status, headers, body) = send(&second, post_json(&query)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers[header::RETRY_AFTER], "40");
    test_db.remove().await;
}

#[tokio::test]
async fn an_unreachable_redis_still_charges_every_request() {
    let settings = HttpSettings {
        rate_limit: capitole_api::RateLimitSettings {
            // Nothing listens on port 1.
            redis_url: Some("redis://127.0.0.1:1".to_owned()),
            ..budget(2)
        },
        ..HttpSettings::default()
    };
    let (router, test_db) = limited_app(settings).await;
    let query = json!({ "query": "{ organizations { name } }" });
    for remaining in [1, 0] {
        let (status, _, body) = send(&router, post_json(&query)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["organizations"].as_array().unwrap().len(), 2);
        assert_eq!(
            body["extensions"]["rateLimit"]["remaining"],
            json!(remaining)
        );
    }
    let (status, _, body) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    test_db.remove().await;
}

/// A Redis server of one test's own, on a free port, with nothing saved to disk; killed
/// when dropped. The shared server of `CAPITOLE_TEST_REDIS_URL` is never stopped.
struct OwnRedis {
    child: Option<std::process::Child>,
    port: u16,
}

impl OwnRedis {
    /// A new server, or `None` (with a notice) when `redis-server` is not installed; under
    /// CI (`CI` set), a missing `redis-server` fails the test.
    fn start() -> Option<OwnRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = OwnRedis { child: None, port };
        match redis.spawn() {
            Ok(()) => Some(redis),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if std::env::var_os("CI").is_some() {
                    panic!("redis-server is not installed: CI must run the Redis outage tests");
                }
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "notice: Redis outage tests skipped; install redis-server to run them"
                );
                None
            }
            Err(error) => panic!("cannot start redis-server: {error}"),
        }
    }

    /// Starts `redis-server` on this port and waits until it answers PING.
    fn spawn(&mut self) -> std::io::Result<()> {
        let port = self.port.to_string();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port, "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .current_dir(std::env::temp_dir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if self.answers() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("redis-server on port {port} did not answer within 10 s");
    }

    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(1)));
        let mut answer = [0; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills this test's server (by its own process id) and waits for it to exit.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signal (`STOP`, `CONT`) to this test's server.
    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// The counters stored under `prefix`.
    async fn counters(&self, prefix: &str) -> Vec<u64> {
        let client = redis::Client::open(self.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut connection)
            .await
            .unwrap();
        let mut counters = Vec::new();
        for key in keys {
            let value: u64 = redis::cmd("GET")
                .arg(key)
                .query_async(&mut connection)
                .await
                .unwrap();
            counters.push(value);
        }
        counters
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn budgets_are_charged_while_redis_is_down_and_go_back_to_redis_when_it_returns() {
    let Some(mut redis) = OwnRedis::start() else {
        return;
    };
    let prefix = format!("capitole-test:{}:", uuid::Uuid::now_v7().simple());
    let (router, test_db) = limited_app(HttpSettings {
        rate_limit: capitole_api::RateLimitSettings {
            redis_url: Some(redis.url()),
            redis_key_prefix: prefix.clone(),
            ..budget(3)
        },
        ..HttpSettings::default()
    })
    .await;
    let query = json!({ "query": "{ organizations { name } }" });
    let remaining = |body: &Value| body["extensions"]["rateLimit"]["remaining"].clone();

    // Part of the budget is spent in Redis.
    for left in [2, 1] {
        let (status, _, body) = send(&router, post_json(&query)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(remaining(&body), json!(left));
    }
    assert_eq!(redis.counters(&prefix).await, vec![2]);

    // Redis dies: this replica goes on charging the budget in its own memory.
    redis.kill();
    for left in [2, 1, 0] {
        let (status, _, body) = send(&router, post_json(&query)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(remaining(&body), json!(left));
    }
    let (status, _, body) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");

    // Redis is back, empty: the budget is read from Redis again, not from this replica's
    // spent one.
    redis.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (status, _, body) = send(&router, post_json(&query)).await;
        if status == StatusCode::OK {
            assert_eq!(remaining(&body), json!(2), "{body}");
            break;
        }
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert!(
            std::time::Instant::now() < deadline,
            "budgets did not go back to Redis within 15 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(redis.counters(&prefix).await, vec![1]);

    // Redis hangs (stopped, its socket open): requests are still charged, here to this
    // replica's spent budget, instead of waiting on Redis or passing uncounted.
    redis.signal("STOP");
    let (status, _, body) = send(&router, post_json(&query)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    redis.signal("CONT");
    test_db.remove().await;
}
