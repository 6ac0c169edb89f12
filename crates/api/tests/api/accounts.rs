//! Accounts, sessions, app tokens and who may see what, attacked the way clients of a public
//! API would: forged and replayed credentials, guessing, and every principal on every path.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::access::{RateTier, Role, Scope};
use capitole_persistence::entities::{article, article_organization, organization, user};
use capitole_persistence::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use capitole_services::accounts as account_ops;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::mail::{mails_to, next_mail, token_in};
use super::{TEST_SECRET, TestApp, apps, code, send};

pub(super) const PASSWORD: &str = "brique-rose-garonne";

pub(super) fn request(token: Option<&str>, body: &Value) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

/// Runs a GraphQL request as `token` (or anonymously); returns the status and body.
pub(super) async fn run(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let (status, _, body) = send(
        &app.router,
        request(token, &json!({ "query": query, "variables": variables })),
    )
    .await;
    (status, body)
}

const SESSION: &str = "accessToken refreshToken accessTokenExpiresAt user { id displayName role }";

/// Signs a resident up and confirms their address with the link mailed to them; returns
/// the access and refresh tokens of the session that opens.
pub(super) async fn register(app: &TestApp, email: &str) -> (String, String) {
    register_as(app, email, "Ana").await
}

/// [`register`], under a name of one's own.
pub(super) async fn register_as(app: &TestApp, email: &str, name: &str) -> (String, String) {
    let seen = mails_to(app, email).len();
    let (status, body) = run(
        app,
        None,
        "mutation($input: RegisterInput!) { register(input: $input) { email } }",
        json!({ "input": { "email": email, "password": PASSWORD, "displayName": name } }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"]["register"]["email"].is_string(), "{body}");
    let mail = next_mail(app, email, seen).await;
    let (_, body) = run(
        app,
        None,
        &format!(
            "mutation($t: String!) {{ verifyEmail(token: $t) {{ session {{ {SESSION} }} }} }}"
        ),
        json!({ "t": token_in(&mail.body, "ev_") }),
    )
    .await;
    let session = &body["data"]["verifyEmail"]["session"];
    assert_eq!(session["user"]["role"], "CITIZEN", "{body}");
    (
        session["accessToken"].as_str().unwrap().to_owned(),
        session["refreshToken"].as_str().unwrap().to_owned(),
    )
}

pub(super) async fn login(app: &TestApp, email: &str, password: &str) -> Value {
    run(
        app,
        None,
        &format!("mutation($e: Email!, $p: String!) {{ login(email: $e, password: $p) {{ session {{ {SESSION} }} }} }}"),
        json!({ "e": email, "p": password }),
    )
    .await
    .1
}

pub(super) async fn access_of(app: &TestApp, email: &str) -> String {
    let body = login(app, email, PASSWORD).await;
    body["data"]["login"]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// An editor of the city (`ville@example.org`), made and signed in; returns their access
/// token.
pub(super) async fn city_editor(app: &TestApp) -> String {
    create(
        app,
        "ville@example.org",
        Role::Editor,
        &["ville-de-toulouse"],
    )
    .await;
    access_of(app, "ville@example.org").await
}

/// An editor of the metropolitan authority (`metropole@example.org`), made and signed in;
/// returns their access token.
pub(super) async fn metropole_editor(app: &TestApp) -> String {
    create(
        app,
        "metropole@example.org",
        Role::Editor,
        &["toulouse-metropole"],
    )
    .await;
    access_of(app, "metropole@example.org").await
}

pub(super) async fn create(app: &TestApp, email: &str, role: Role, organizations: &[&str]) {
    let slugs: Vec<String> = organizations.iter().map(|s| (*s).to_owned()).collect();
    account_ops::create_user(
        &app.db,
        email,
        PASSWORD,
        "Staff",
        role,
        &slugs,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
}

async fn viewer_email(app: &TestApp, token: Option<&str>) -> (StatusCode, Value) {
    let (status, body) = run(app, token, "{ viewer { email role } }", json!({})).await;
    (status, body["data"]["viewer"]["email"].clone())
}

async fn user_count(app: &TestApp) -> u64 {
    user::Entity::find()
        .count(app.db.connection())
        .await
        .unwrap()
}

#[tokio::test]
async fn people_sign_up_refresh_their_session_and_sign_out() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (access, refresh) = register(&app, "Ana@Example.org").await;
        assert_eq!(
            viewer_email(&app, Some(&access)).await.1,
            "ana@example.org",
            "{label}"
        );
        assert_eq!(viewer_email(&app, None).await.1, Value::Null, "{label}");

        // A refresh token works once and gives a new pair.
        let refreshed = run(
            &app,
            None,
            &format!(
                "mutation($t: String!) {{ refreshSession(refreshToken: $t) {{ session {{ {SESSION} }} }} }}"
            ),
            json!({ "t": refresh }),
        )
        .await
        .1;
        let access2 = refreshed["data"]["refreshSession"]["session"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let refresh2 = refreshed["data"]["refreshSession"]["session"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(refresh2, refresh);
        assert_eq!(
            viewer_email(&app, Some(&access2)).await.1,
            "ana@example.org"
        );

        // Replaying the spent token closes the whole family: the newer pair dies too.
        let replay = run(
            &app,
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { session { accessToken } } }",
            json!({ "t": refresh }),
        )
        .await
        .1;
        assert_eq!(code(&replay), "UNAUTHENTICATED", "{label}: {replay}");
        assert_eq!(
            viewer_email(&app, Some(&access2)).await.0,
            StatusCode::UNAUTHORIZED
        );
        let after = run(
            &app,
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { session { accessToken } } }",
            json!({ "t": refresh2 }),
        )
        .await
        .1;
        assert_eq!(code(&after), "UNAUTHENTICATED", "{label}: {after}");

        // A new sign-in works; logging out ends it at once.
        let access3 = access_of(&app, "ana@example.org").await;
        let other = access_of(&app, "ana@example.org").await;
        let (_, out) = run(
            &app,
            Some(&access3),
            "mutation { logout { sessionsClosed } }",
            json!({}),
        )
        .await;
        assert_eq!(out["data"]["logout"]["sessionsClosed"], 1, "{out}");
        assert_eq!(
            viewer_email(&app, Some(&access3)).await.0,
            StatusCode::UNAUTHORIZED
        );
        // Another session of the same person stays open until `everywhere`.
        assert_eq!(viewer_email(&app, Some(&other)).await.1, "ana@example.org");
        let (_, out) = run(
            &app,
            Some(&other),
            "mutation { logout(everywhere: true) { sessionsClosed } }",
            json!({}),
        )
        .await;
        // Only that one was still open: the replay closed the first, logging out the third.
        assert_eq!(out["data"]["logout"]["sessionsClosed"], 1, "{out}");
        assert_eq!(
            viewer_email(&app, Some(&other)).await.0,
            StatusCode::UNAUTHORIZED
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn bad_sign_ups_are_refused_and_store_nothing() {
    for app in apps().await {
        register(&app, "taken@example.org").await;
        let before = user_count(&app).await;
        let cases = [
            (
                json!({ "email": "a@example.org", "password": "short", "displayName": "A" }),
                "BAD_USER_INPUT",
                "12 characters",
            ),
            (
                json!({ "email": "a@example.org", "password": "Password1234", "displayName": "A" }),
                "BAD_USER_INPUT",
                "common",
            ),
            (
                json!({ "email": "not-an-email", "password": PASSWORD, "displayName": "A" }),
                "BAD_USER_INPUT",
                "email",
            ),
            (
                json!({ "email": "a@example.org", "password": PASSWORD, "displayName": "A\u{0}B" }),
                "BAD_USER_INPUT",
                "displayName",
            ),
            (
                json!({ "email": "a@example.org", "password": "x".repeat(10_000), "displayName": "A" }),
                "BAD_USER_INPUT",
                "256 bytes",
            ),
        ];
        for (input, expected, words) in cases {
            let (status, body) = run(
                &app,
                None,
                "mutation($input: RegisterInput!) { register(input: $input) { email } }",
                json!({ "input": input }),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(code(&body), expected, "{body}");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(words), "{message}");
        }
        assert_eq!(user_count(&app).await, before);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn sign_in_answers_alike_for_unknown_accounts_and_slows_down_guessing() {
    for app in apps().await {
        register(&app, "ana@example.org").await;
        register(&app, "bob@example.org").await;
        let unknown = login(&app, "nobody@example.org", PASSWORD).await;
        let wrong = login(&app, "bob@example.org", "not-the-password").await;
        // Same status, same data, same errors (only the budget in `extensions` moves on).
        assert_eq!(unknown["errors"], wrong["errors"]);
        assert_eq!(unknown["data"], wrong["data"]);
        assert_eq!(code(&wrong), "UNAUTHENTICATED");

        // Five failures lock the account for a while, even for the right password.
        for _ in 0..5 {
            assert_eq!(
                code(&login(&app, "ana@example.org", "guess-guess-guess").await),
                "UNAUTHENTICATED"
            );
        }
        let locked = login(&app, "ana@example.org", PASSWORD).await;
        assert_eq!(code(&locked), "RATE_LIMITED", "{locked}");
        // An unknown account locks the same way, so the lock reveals nothing either.
        for _ in 0..5 {
            login(&app, "ghost@example.org", "guess-guess-guess").await;
        }
        let ghost = login(&app, "ghost@example.org", PASSWORD).await;
        assert_eq!(
            ghost["errors"][0]["message"],
            locked["errors"][0]["message"]
        );
        // Other accounts are not affected.
        assert!(
            login(&app, "bob@example.org", PASSWORD).await["data"]["login"]["session"]["accessToken"]
                .is_string()
        );
        app.test_db.remove().await;
    }
}

pub(super) async fn app_token(
    app: &TestApp,
    name: &str,
) -> (String, capitole_persistence::entities::api_token::Model) {
    let now = chrono::Utc::now();
    let scopes = [Scope::Read];
    capitole_services::tokens::create_api_token(
        &app.db,
        name,
        "dev@example.org",
        &scopes,
        RateTier::Standard,
        None,
        now,
    )
    .await
    .unwrap()
}

fn forge(header: &Header, claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret).unwrap()).unwrap()
}

#[tokio::test]
async fn forged_expired_and_malformed_credentials_get_401() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (access, _) = register(&app, "ana@example.org").await;
        // The claims of a genuine token, to tamper with.
        let payload = access.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("test-key".into());
        header.typ = Some("at+jwt".into());
        // The control: re-signing the same claims with the real key is accepted.
        let control = forge(&header, &claims, &TEST_SECRET);
        assert_eq!(
            viewer_email(&app, Some(&control)).await.1,
            "ana@example.org",
            "{label}"
        );

        let with = |field: &str, value: Value| {
            let mut c = claims.clone();
            c[field] = value;
            c
        };
        let mut hs512 = header.clone();
        hs512.alg = Algorithm::HS512;
        let mut plain_typ = header.clone();
        plain_typ.typ = Some("JWT".into());
        let mut other_kid = header.clone();
        other_kid.kid = Some("other".into());
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"test-key"}"#),
            payload
        );
        let bad = [
            ("wrong key", forge(&header, &claims, &[8u8; 32])),
            ("alg none", none),
            ("HS512", forge(&hs512, &claims, &TEST_SECRET)),
            ("plain JWT typ", forge(&plain_typ, &claims, &TEST_SECRET)),
            ("unknown kid", forge(&other_kid, &claims, &TEST_SECRET)),
            (
                "expired",
                forge(&header, &with("exp", json!(now - 3600)), &TEST_SECRET),
            ),
            (
                "string exp",
                forge(
                    &header,
                    &with("exp", json!((now + 3600).to_string())),
                    &TEST_SECRET,
                ),
            ),
            (
                "not yet valid",
                forge(&header, &with("nbf", json!(now + 3600)), &TEST_SECRET),
            ),
            (
                "wrong audience",
                forge(&header, &with("aud", json!("another-api")), &TEST_SECRET),
            ),
            (
                "wrong issuer",
                forge(&header, &with("iss", json!("someone")), &TEST_SECRET),
            ),
            (
                "refresh use",
                forge(&header, &with("token_use", json!("refresh")), &TEST_SECRET),
            ),
            (
                "unknown session",
                forge(
                    &header,
                    &with("sid", json!(uuid::Uuid::now_v7())),
                    &TEST_SECRET,
                ),
            ),
            ("garbage", "abc.def.ghi".to_owned()),
            (
                "bad checksum",
                "cap_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000".to_owned(),
            ),
        ];
        for (what, token) in bad {
            let (status, headers, body) = send(
                &app.router,
                request(Some(&token), &json!({ "query": "{ viewer { email } }" })),
            )
            .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{label} {what}: {body}");
            assert_eq!(code(&body), "UNAUTHENTICATED", "{label} {what}");
            assert!(body.get("data").is_none(), "{label} {what}");
            assert!(
                headers[header::WWW_AUTHENTICATE]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer")
            );
        }
        // A token with a broken checksum is refused before any database lookup.
        let before = app.db.statement_count();
        let typo = format!("cap_{}", "A".repeat(36));
        let (status, _, _) = send(
            &app.router,
            request(
                Some(&typo),
                &json!({ "query": "{ organizations { name } }" }),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.db.statement_count(), before, "{label}");
        // Another scheme is refused too.
        let basic = Request::builder()
            .method(Method::POST)
            .uri("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
            .body(Body::from(
                json!({ "query": "{ viewer { email } }" }).to_string(),
            ))
            .unwrap();
        assert_eq!(send(&app.router, basic).await.0, StatusCode::UNAUTHORIZED);
        // The server still answers, and the genuine token still works.
        assert_eq!(viewer_email(&app, Some(&access)).await.1, "ana@example.org");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn app_tokens_work_until_revoked_and_their_secret_is_shown_once() {
    for app in apps().await {
        let label = &app.test_db.label;
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        let admin = access_of(&app, "admin@example.org").await;
        let (_, made) = run(
            &app,
            Some(&admin),
            "mutation { createApiToken(input: { app: \"Tisséo\", contact: \"dev@tisseo.example\", scopes: [READ], tier: PARTNER }) { token apiToken { id hint scopes tier } } }",
            json!({}),
        )
        .await;
        let token = made["data"]["createApiToken"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{made}"))
            .to_owned();
        let id = made["data"]["createApiToken"]["apiToken"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(capitole_domain::access::api_token::is_well_formed(&token));
        assert_eq!(
            made["data"]["createApiToken"]["apiToken"]["tier"],
            "PARTNER"
        );
        let (status, body) = run(&app, Some(&token), "{ organizations { slug } }", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        // The list shows a hint, never the secret.
        let (_, listed) = run(
            &app,
            Some(&admin),
            "{ apiTokens { nodes { id hint revokedAt } } }",
            json!({}),
        )
        .await;
        assert!(!listed.to_string().contains(&token[4..]), "{listed}");
        assert_eq!(
            listed["data"]["apiTokens"]["nodes"][0]["hint"],
            format!("cap_…{}", &token[36..])
        );
        // Revoked: refused with the next request.
        let (_, revoked) = run(
            &app,
            Some(&admin),
            "mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { revokedAt } } }",
            json!({ "id": id }),
        )
        .await;
        assert!(
            revoked["data"]["revokeApiToken"]["apiToken"]["revokedAt"].is_string(),
            "{revoked}"
        );
        let (status, _) = run(&app, Some(&token), "{ organizations { slug } }", json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}");
        // A well-formed token nobody issued is refused the same way.
        let stranger = capitole_services::auth::secrets::new_api_token();
        assert_eq!(
            run(
                &app,
                Some(&stranger),
                "{ organizations { slug } }",
                json!({})
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        app.test_db.remove().await;
    }
}

/// Makes the latest article of `slug`'s organization a draft; returns its global id and slug.
async fn draft_of(app: &TestApp, slug: &str) -> (String, String) {
    let conn = app.db.connection();
    let org = organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(conn)
        .await
        .unwrap()
        .unwrap();
    let link = article_organization::Entity::find()
        .filter(article_organization::Column::OrganizationId.eq(org.id))
        .all(conn)
        .await
        .unwrap();
    let mut candidates = Vec::new();
    for l in link {
        let a = article::Entity::find_by_id(l.article_id)
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        let co_published = article_organization::Entity::find()
            .filter(article_organization::Column::ArticleId.eq(a.id))
            .count(conn)
            .await
            .unwrap();
        if co_published == 1 {
            candidates.push(a);
        }
    }
    let chosen = candidates.pop().expect("an article of one publisher");
    let slug = chosen.slug.clone();
    let id = chosen.id;
    let mut draft: article::ActiveModel = chosen.into();
    draft.status = Set("DRAFT".into());
    draft.published_at = Set(None);
    draft.update(conn).await.unwrap();
    let global = URL_SAFE_NO_PAD.encode(format!("NewsArticle:{}", id.simple()));
    (global, slug)
}

#[tokio::test]
async fn every_principal_sees_exactly_what_it_may_on_every_path() {
    for app in apps().await {
        let label = app.test_db.label;
        let (draft_id, draft_slug) = draft_of(&app, "ville-de-toulouse").await;
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        create(
            &app,
            "both@example.org",
            Role::Editor,
            &["toulouse-metropole", "ville-de-toulouse"],
        )
        .await;
        create(
            &app,
            "metropole@example.org",
            Role::Editor,
            &["toulouse-metropole"],
        )
        .await;
        register(&app, "citizen@example.org").await;
        let (reader, _) = app_token(&app, "Reader").await;
        // A token stored without any scope (as a future write-only token would be).
        let (scopeless, row) = app_token(&app, "Scopeless").await;
        let mut stripped: capitole_persistence::entities::api_token::ActiveModel = row.into();
        stripped.scopes = Set("|".into());
        stripped.update(app.db.connection()).await.unwrap();

        let citizen = access_of(&app, "citizen@example.org").await;
        let principals: Vec<(&str, Option<String>, bool)> = vec![
            ("anonymous", None, false),
            ("citizen", Some(citizen.clone()), false),
            (
                "editor of the other organization",
                Some(access_of(&app, "metropole@example.org").await),
                false,
            ),
            (
                "editor",
                Some(access_of(&app, "ville@example.org").await),
                true,
            ),
            (
                "editor of both",
                Some(access_of(&app, "both@example.org").await),
                true,
            ),
            (
                "administrator",
                Some(access_of(&app, "admin@example.org").await),
                true,
            ),
            ("app token with read", Some(reader.clone()), false),
        ];
        let paths = [
            (
                "newsArticle(id)",
                "query($id: ID!) { x: newsArticle(id: $id) { title status } }",
            ),
            (
                "newsArticle(slug)",
                "query($slug: String!) { x: newsArticle(slug: $slug) { title status } }",
            ),
            (
                "node",
                "query($id: ID!) { x: node(id: $id) { ... on NewsArticle { title status } } }",
            ),
            (
                "nodes",
                "query($id: ID!) { y: nodes(ids: [$id]) { ... on NewsArticle { title status } } }",
            ),
        ];
        for (who, token, sees_draft) in &principals {
            for (path, text) in paths {
                let (status, body) = run(
                    &app,
                    token.as_deref(),
                    text,
                    json!({ "id": draft_id, "slug": draft_slug }),
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{label} {who} {path}: {body}");
                let found = if path == "nodes" {
                    &body["data"]["y"][0]
                } else {
                    &body["data"]["x"]
                };
                assert_eq!(
                    !found.is_null(),
                    *sees_draft,
                    "{label} {who} {path}: {body}"
                );
                if *sees_draft {
                    assert_eq!(found["status"], "DRAFT");
                }
            }
            // The public list never shows drafts, whoever asks.
            let (_, list) = run(
                &app,
                token.as_deref(),
                "{ news(first: 100) { nodes { slug } } }",
                json!({}),
            )
            .await;
            assert!(!list.to_string().contains(&draft_slug), "{label} {who}");

            // Administrators' fields.
            let (_, users) = run(
                &app,
                token.as_deref(),
                "{ users { nodes { email } } }",
                json!({}),
            )
            .await;
            let expected = match *who {
                "administrator" => "",
                "anonymous" => "UNAUTHENTICATED",
                _ => "FORBIDDEN",
            };
            assert_eq!(code(&users), expected, "{label} {who}: {users}");
            let (_, tokens) = run(
                &app,
                token.as_deref(),
                "{ apiTokens { nodes { hint } } }",
                json!({}),
            )
            .await;
            assert_eq!(code(&tokens), expected, "{label} {who}: {tokens}");
            let (_, made) = run(&app, token.as_deref(), "mutation { createApiToken(input: { app: \"x\", contact: \"x@example.org\", scopes: [READ] }) { token } }", json!({})).await;
            assert_eq!(code(&made), expected, "{label} {who}: {made}");

            // Personal data: only for a signed-in person, about themselves.
            let (_, export) = run(&app, token.as_deref(), "{ exportMyData }", json!({})).await;
            let is_person = token.is_some() && !who.starts_with("app");
            assert_eq!(
                export["data"]["exportMyData"].is_object(),
                is_person,
                "{label} {who}: {export}"
            );
            let (_, viewer) = run(&app, token.as_deref(), "{ viewer { email } }", json!({})).await;
            assert_eq!(
                viewer["data"]["viewer"].is_object(),
                is_person,
                "{label} {who}: {viewer}"
            );
        }
        // A token without the `read` scope reads nothing.
        let (status, body) = run(
            &app,
            Some(&scopeless),
            "{ organizations { slug } }",
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {body}");
        assert_eq!(code(&body), "FORBIDDEN");
        // Only administrators change roles; a citizen cannot promote themselves.
        let promote = "mutation { setUserRole(email: \"citizen@example.org\", role: ADMINISTRATOR) { user { role } } }";
        let (_, refused) = run(&app, Some(&citizen), promote, json!({})).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
        let admin = principals[5].1.clone();
        let (_, done) = run(&app, admin.as_deref(), "mutation { setUserRole(email: \"citizen@example.org\", role: EDITOR, organizations: [\"ville-de-toulouse\"]) { user { role organizations { slug } } } }", json!({})).await;
        assert_eq!(
            done["data"]["setUserRole"]["user"]["role"], "EDITOR",
            "{done}"
        );
        // The new role applies to the next request of the same session.
        let (_, now_sees) = run(&app, Some(&citizen), paths[0].1, json!({ "id": draft_id })).await;
        assert_eq!(
            now_sees["data"]["x"]["status"], "DRAFT",
            "{label}: {now_sees}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_password_change_closes_sessions_and_an_erased_account_is_gone() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (access, refresh) = register(&app, "ana@example.org").await;
        let (_, export) = run(&app, Some(&access), "{ exportMyData }", json!({})).await;
        let document = &export["data"]["exportMyData"];
        assert_eq!(document["account"]["email"], "ana@example.org", "{export}");
        assert_eq!(document["sessions"].as_array().map(Vec::len), Some(1));
        assert!(
            !export.to_string().contains("argon2"),
            "{label}: secrets leak into the export"
        );

        let new_password = "violette-canal-du-midi";
        let (_, changed) = run(
            &app,
            Some(&access),
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { session { accessToken } } }",
            json!({ "c": PASSWORD, "n": new_password }),
        )
        .await;
        let fresh = changed["data"]["changePassword"]["session"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{changed}"))
            .to_owned();
        assert_eq!(
            viewer_email(&app, Some(&access)).await.0,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        let (_, stale) = run(
            &app,
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { session { accessToken } } }",
            json!({ "t": refresh }),
        )
        .await;
        assert_eq!(code(&stale), "UNAUTHENTICATED");
        assert_eq!(
            code(&login(&app, "ana@example.org", PASSWORD).await),
            "UNAUTHENTICATED"
        );

        // Erasure asks for the password again.
        let (_, wrong) = run(
            &app,
            Some(&fresh),
            "mutation { deleteMyAccount(password: \"not-my-password\") { deletedId } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&wrong), "FORBIDDEN");
        assert_eq!(user_count(&app).await, 1);
        let (_, me) = run(&app, Some(&fresh), "{ viewer { id } }", json!({})).await;
        let (_, erased) = run(
            &app,
            Some(&fresh),
            "mutation($p: String!) { deleteMyAccount(password: $p) { deletedId } }",
            json!({ "p": new_password }),
        )
        .await;
        assert_eq!(
            erased["data"]["deleteMyAccount"]["deletedId"], me["data"]["viewer"]["id"],
            "{erased}"
        );
        assert_eq!(user_count(&app).await, 0);
        assert_eq!(
            viewer_email(&app, Some(&fresh)).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            code(&login(&app, "ana@example.org", new_password).await),
            "UNAUTHENTICATED"
        );
        // Public content is untouched.
        let (_, news) = run(&app, None, "{ news(first: 5) { totalCount } }", json!({})).await;
        assert!(news["data"]["news"]["totalCount"].as_i64().unwrap() > 0);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn budgets_follow_the_person_or_the_app_not_the_address() {
    for app in apps().await {
        let label = &app.test_db.label;
        register(&app, "ana@example.org").await;
        let access = access_of(&app, "ana@example.org").await;
        let (partner, row) = app_token(&app, "Partner app").await;
        let mut upgraded: capitole_persistence::entities::api_token::ActiveModel = row.into();
        upgraded.tier = Set("PARTNER".into());
        upgraded.update(app.db.connection()).await.unwrap();

        let policy = |token: Option<String>| {
            let router = app.router.clone();
            async move {
                let request = request(
                    token.as_deref(),
                    &json!({ "query": "{ organizations { slug } }" }),
                );
                let (status, headers, _) = send(&router, request).await;
                assert_eq!(status, StatusCode::OK);
                (
                    headers["ratelimit-policy"].to_str().unwrap().to_owned(),
                    headers["ratelimit"].to_str().unwrap().to_owned(),
                )
            }
        };
        assert!(
            policy(None).await.0.starts_with("\"anonymous\";q=1000"),
            "{label}"
        );
        assert!(
            policy(Some(access.clone()))
                .await
                .0
                .starts_with("\"user\";q=5000"),
            "{label}"
        );
        assert!(
            policy(Some(partner.clone()))
                .await
                .0
                .starts_with("\"partner\";q=20000"),
            "{label}"
        );
        // One person keeps one budget whatever address they call from.
        let mut remaining = Vec::new();
        for peer in ["203.0.113.5:1000", "198.51.100.7:2000"] {
            let mut request = request(
                Some(&access),
                &json!({ "query": "{ organizations { slug } }" }),
            );
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                peer.parse::<std::net::SocketAddr>().unwrap(),
            ));
            let (_, headers, _) = send(&app.router, request).await;
            remaining.push(headers["ratelimit"].to_str().unwrap().to_owned());
        }
        assert_ne!(remaining[0], remaining[1], "{label}: {remaining:?}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn guessing_from_one_address_is_slowed_down_across_accounts() {
    for app in apps().await {
        register(&app, "ana@example.org").await;
        let attempt = |email: String, password: &'static str, peer: &'static str| {
            let router = app.router.clone();
            async move {
                let body = json!({
                    "query": "mutation($e: Email!, $p: String!) { login(email: $e, password: $p) { session { accessToken } } }",
                    "variables": { "e": email, "p": password }
                });
                let mut request = request(None, &body);
                request.extensions_mut().insert(axum::extract::ConnectInfo(
                    peer.parse::<std::net::SocketAddr>().unwrap(),
                ));
                send(&router, request).await.2
            }
        };
        // Thirty failures from one address, each on a different account.
        for i in 0..account_ops::MAX_ATTEMPTS_PER_ADDRESS {
            let body = attempt(
                format!("user{i}@example.org"),
                "guess-guess-guess",
                "203.0.113.9:4000",
            )
            .await;
            assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
        }
        // That address is now refused, even with the right password.
        let refused = attempt("ana@example.org".into(), PASSWORD, "203.0.113.9:4001").await;
        assert_eq!(code(&refused), "RATE_LIMITED", "{refused}");
        // Another address signs in.
        let other = attempt("ana@example.org".into(), PASSWORD, "198.51.100.1:4000").await;
        assert!(
            other["data"]["login"]["session"]["accessToken"].is_string(),
            "{other}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn sign_ups_sent_the_wrong_way_change_nothing() {
    for app in apps().await {
        let mutation = format!(
            "mutation {{ register(input: {{ email: \"ana@example.org\", password: \"{PASSWORD}\", displayName: \"Ana\" }}) {{ email }} }}"
        );
        // Over GET: 405, nothing stored.
        let mut uri = String::from("/graphql?query=");
        for byte in mutation.bytes() {
            if byte.is_ascii_alphanumeric() {
                uri.push(char::from(byte));
            } else {
                uri.push_str(&format!("%{byte:02X}"));
            }
        }
        let get = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let (status, headers, _) = send(&app.router, get).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::ALLOW], "POST");
        // As a form or as text: 415, nothing stored.
        for content_type in ["application/x-www-form-urlencoded", "text/plain"] {
            let post = Request::builder()
                .method(Method::POST)
                .uri("/graphql")
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(json!({ "query": mutation }).to_string()))
                .unwrap();
            assert_eq!(
                send(&app.router, post).await.0,
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            );
        }
        // Too large: 413, nothing stored.
        let huge = json!({ "query": mutation, "variables": { "padding": "x".repeat(100_000) } });
        assert_eq!(
            send(&app.router, request(None, &huge)).await.0,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(user_count(&app).await, 0);
        // The same mutation, sent properly, works.
        let (status, body) = run(&app, None, &mutation, json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body["data"]["register"]["email"], "ana@example.org",
            "{body}"
        );
        assert_eq!(user_count(&app).await, 1);
        app.test_db.remove().await;
    }
}
