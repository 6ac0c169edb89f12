//! Sign-in and sessions under races and floods: concurrent guesses, concurrent refreshes, a
//! logout racing a refresh loop, lockout used as a weapon, credential mutations repeated in
//! one request, sign-ups from one address.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use capitole_persistence::entities::user;
use capitole_persistence::sea_orm::{EntityTrait, PaginatorTrait};
use capitole_services::accounts as account_ops;
use futures_util::future::join_all;
use serde_json::{Value, json};

use super::accounts::{PASSWORD, register, request, run};
use super::{TestApp, apps, code, send};

const LOGIN: &str = "mutation($e: Email!, $p: String!) { login(email: $e, password: $p) { session { accessToken } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { session { accessToken refreshToken } } }";

/// A request as if it came from `peer`.
fn from(peer: &str, mut request: Request<Body>) -> Request<Body> {
    request
        .extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    request
}

async fn login_from(app: &TestApp, peer: &str, email: &str, password: &str) -> Value {
    let body = json!({ "query": LOGIN, "variables": { "e": email, "p": password } });
    send(&app.router, from(peer, request(None, &body))).await.2
}

async fn refresh(app: &TestApp, token: &str) -> Value {
    run(app, None, REFRESH, json!({ "t": token })).await.1
}

async fn viewer_status(app: &TestApp, access: &str) -> StatusCode {
    run(app, Some(access), "{ viewer { email } }", json!({}))
        .await
        .0
}

#[tokio::test]
async fn fifty_concurrent_wrong_sign_ins_check_the_password_at_most_five_times() {
    for app in apps().await {
        let label = app.test_db.label;
        register(&app, "ana@example.org").await;
        let before = app.auth.password_checks();
        let answers = join_all((0..50).map(|_| {
            login_from(
                &app,
                "203.0.113.9:4000",
                "ana@example.org",
                "guess-guess-guess",
            )
        }))
        .await;
        let checks = app.auth.password_checks() - before;
        assert!(checks <= 5, "{label}: {checks} password checks");
        let refused = answers.iter().filter(|a| code(a) == "RATE_LIMITED").count();
        assert!(refused >= 45, "{label}: {refused} refused");
        assert!(
            answers
                .iter()
                .all(|a| matches!(code(a), "RATE_LIMITED" | "UNAUTHENTICATED")),
            "{label}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_guesser_locks_out_their_own_address_not_the_owner() {
    for app in apps().await {
        let label = app.test_db.label;
        register(&app, "ana@example.org").await;
        let attacker = "203.0.113.66:5000";
        for _ in 0..account_ops::MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS {
            let body = login_from(&app, attacker, "ana@example.org", "guess-guess-guess").await;
            assert_eq!(code(&body), "UNAUTHENTICATED", "{label}: {body}");
        }
        // The guesser's address is refused, even with the right password.
        let body = login_from(&app, attacker, "ana@example.org", PASSWORD).await;
        assert_eq!(code(&body), "RATE_LIMITED", "{label}: {body}");
        // The owner, from their own address, signs in (after a short wait).
        let body = login_from(&app, "198.51.100.20:6000", "ana@example.org", PASSWORD).await;
        assert!(
            body["data"]["login"]["session"]["accessToken"].is_string(),
            "{label}: {body}"
        );
        // An IPv6 guesser gains nothing by moving within its /64.
        register(&app, "bob@example.org").await;
        for i in 1..=account_ops::MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS {
            let peer = format!("[2001:db8:0:7::{i}]:5000");
            let body = login_from(&app, &peer, "bob@example.org", "guess-guess-guess").await;
            assert_eq!(code(&body), "UNAUTHENTICATED", "{label}: {body}");
        }
        let body = login_from(&app, "[2001:db8:0:7::99]:5000", "bob@example.org", PASSWORD).await;
        assert_eq!(code(&body), "RATE_LIMITED", "{label}: {body}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_rotate_once_and_close_the_session() {
    for app in apps().await {
        let label = app.test_db.label;
        let (_, token) = register(&app, "ana@example.org").await;
        let answers = join_all((0..8).map(|_| refresh(&app, &token))).await;
        let rotated: Vec<&Value> = answers
            .iter()
            .filter(|a| a["data"]["refreshSession"]["session"]["accessToken"].is_string())
            .collect();
        assert_eq!(rotated.len(), 1, "{label}: {answers:?}");
        assert!(
            answers
                .iter()
                .filter(|a| a["data"]["refreshSession"]["session"]["accessToken"].is_null())
                .all(|a| code(a) == "UNAUTHENTICATED"),
            "{label}"
        );
        // The replays closed the session: what the winner got no longer works.
        let winner = &rotated[0]["data"]["refreshSession"]["session"];
        assert_eq!(
            viewer_status(&app, winner["accessToken"].as_str().unwrap()).await,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        let next = refresh(&app, winner["refreshToken"].as_str().unwrap()).await;
        assert_eq!(code(&next), "UNAUTHENTICATED", "{label}: {next}");
        app.test_db.remove().await;
    }
}

/// Refreshes in a loop with the latest token, as a thief would, until refused; returns the
/// last pair it held.
async fn refresh_loop(app: &TestApp, mut token: String) -> (Option<String>, String) {
    let mut access = None;
    for _ in 0..200 {
        let answer = refresh(app, &token).await;
        let session = &answer["data"]["refreshSession"]["session"];
        match (
            session["accessToken"].as_str(),
            session["refreshToken"].as_str(),
        ) {
            (Some(a), Some(r)) => {
                access = Some(a.to_owned());
                token = r.to_owned();
            }
            _ => break,
        }
    }
    (access, token)
}

#[tokio::test]
async fn a_logout_or_password_change_racing_a_refresh_loop_leaves_no_token_working() {
    for app in apps().await {
        let label = app.test_db.label;
        for ending in ["logout", "changePassword"] {
            let email = format!("{ending}@example.org");
            let (access, stolen) = register(&app, &email).await;
            let mutation = match ending {
                "logout" => "mutation { logout { sessionsClosed } }".to_owned(),
                _ => format!(
                    "mutation {{ changePassword(currentPassword: \"{PASSWORD}\", newPassword: \"violette-canal-du-midi\") {{ session {{ accessToken }} }} }}"
                ),
            };
            let close = async {
                // Let the loop get going first.
                tokio::time::sleep(std::time::Duration::from_millis(40)).await;
                run(&app, Some(&access), &mutation, json!({})).await
            };
            let ((held_access, held_refresh), (status, closed)) =
                tokio::join!(refresh_loop(&app, stolen), close);
            assert_eq!(status, StatusCode::OK, "{label} {ending}: {closed}");
            assert!(closed.get("errors").is_none(), "{label} {ending}: {closed}");
            let next = refresh(&app, &held_refresh).await;
            assert_eq!(code(&next), "UNAUTHENTICATED", "{label} {ending}: {next}");
            if let Some(held_access) = held_access {
                assert_eq!(
                    viewer_status(&app, &held_access).await,
                    StatusCode::UNAUTHORIZED,
                    "{label} {ending}"
                );
            }
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn credential_mutations_run_one_per_request_and_cost_their_hash() {
    for app in apps().await {
        let label = app.test_db.label;
        let sign_ups: Vec<String> = (0..20)
            .map(|i| {
                format!(
                    "r{i}: register(input: {{ email: \"p{i}@example.org\", password: \"{PASSWORD}\", displayName: \"P\" }}) {{ email }}"
                )
            })
            .collect();
        let (status, body) = run(
            &app,
            None,
            &format!("mutation {{ {} }}", sign_ups.join(" ")),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{label}: {body}");
        let accounts = user::Entity::find()
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(accounts, 0, "{label}");

        register(&app, "ana@example.org").await;
        let (_, body) = run(
            &app,
            None,
            LOGIN,
            json!({ "e": "ana@example.org", "p": PASSWORD }),
        )
        .await;
        assert_eq!(
            body["extensions"]["rateLimit"]["cost"],
            1 + capitole_api::CREDENTIAL_COST,
            "{label}: {body}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn sign_ups_from_one_address_are_limited_per_hour() {
    for app in apps().await {
        let label = app.test_db.label;
        let sign_up = |i: u32, peer: &'static str| {
            let body = json!({
                "query": "mutation($i: RegisterInput!) { register(input: $i) { email } }",
                "variables": { "i": { "email": format!("p{i}@example.org"), "password": PASSWORD, "displayName": "P" } }
            });
            let router = app.router.clone();
            async move { send(&router, from(peer, request(None, &body))).await.2 }
        };
        let limit = super::SIGN_UPS_PER_ADDRESS;
        for i in 0..limit {
            let body = sign_up(i, "203.0.113.7:1000").await;
            assert!(body.get("errors").is_none(), "{label}: {body}");
        }
        let refused = sign_up(limit, "203.0.113.7:1001").await;
        assert_eq!(code(&refused), "RATE_LIMITED", "{label}: {refused}");
        let other = sign_up(limit + 1, "198.51.100.7:1000").await;
        assert!(other.get("errors").is_none(), "{label}: {other}");
        let accounts = user::Entity::find()
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(accounts, u64::from(limit) + 1, "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_stolen_session_cannot_guess_the_password() {
    for app in apps().await {
        let label = app.test_db.label;
        let (access, _) = register(&app, "ana@example.org").await;
        let before = app.auth.password_checks();
        let change = "mutation { changePassword(currentPassword: \"guess-guess-guess\", newPassword: \"violette-canal-du-midi\") { session { accessToken } } }";
        for _ in 0..account_ops::MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS {
            let (_, body) = run(&app, Some(&access), change, json!({})).await;
            assert_eq!(code(&body), "FORBIDDEN", "{label}: {body}");
        }
        let (_, body) = run(&app, Some(&access), change, json!({})).await;
        assert_eq!(code(&body), "RATE_LIMITED", "{label}: {body}");
        let (_, body) = run(
            &app,
            Some(&access),
            "mutation { deleteMyAccount(password: \"guess-guess-guess\") { deletedId } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&body), "RATE_LIMITED", "{label}: {body}");
        assert_eq!(
            app.auth.password_checks() - before,
            u64::from(account_ops::MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS),
            "{label}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn made_up_credentials_cost_their_address_and_stop_reaching_the_database() {
    for app in apps().await {
        let label = app.test_db.label;
        let settings = capitole_api::HttpSettings {
            rate_limit: capitole_api::RateLimitSettings {
                budgets: capitole_api::TierBudgets {
                    anonymous: 10,
                    ..capitole_api::TierBudgets::default()
                },
                // One instant: the fifteen requests fall in one window, wherever the
                // minute turns.
                clock: capitole_api::Clock::from_fn({
                    let now = chrono::Utc::now();
                    move || now
                }),
                ..capitole_api::RateLimitSettings::default()
            },
            ..capitole_api::HttpSettings::default()
        };
        let router =
            capitole_api::http::router(super::context(&app.db, app.mail.path()).await, &settings);
        let ask = |token: String, peer: &'static str| {
            let router = router.clone();
            async move {
                let body = json!({ "query": "{ organizations { slug } }" });
                let (status, _, _) = send(&router, from(peer, request(Some(&token), &body))).await;
                status
            }
        };
        let attacker = "203.0.113.50:7000";
        let mut statuses = Vec::new();
        let mut lookups = Vec::new();
        for _ in 0..15 {
            let before = app.db.statement_count();
            statuses.push(ask(capitole_services::auth::secrets::new_api_token(), attacker).await);
            lookups.push(app.db.statement_count() - before);
        }
        assert!(
            statuses[..10]
                .iter()
                .all(|s| *s == StatusCode::UNAUTHORIZED),
            "{label}: {statuses:?}"
        );
        assert!(
            statuses[10..]
                .iter()
                .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
            "{label}: {statuses:?}"
        );
        assert!(
            lookups[..10].iter().all(|n| *n == 1),
            "{label}: {lookups:?}"
        );
        assert!(
            lookups[10..].iter().all(|n| *n == 0),
            "{label}: {lookups:?}"
        );
        // Another address is not affected; a token refused once is refused again without a
        // lookup.
        let fake = capitole_services::auth::secrets::new_api_token();
        assert_eq!(
            ask(fake.clone(), "198.51.100.50:7000").await,
            StatusCode::UNAUTHORIZED
        );
        let before = app.db.statement_count();
        assert_eq!(
            ask(fake, "198.51.100.50:7000").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(app.db.statement_count() - before, 0, "{label}");
        // The access token of a closed session is looked up once, then remembered.
        let (access, _) = register(&app, "ana@example.org").await;
        let (_, _, out) = send(
            &router,
            from(
                "198.51.100.51:7000",
                request(
                    Some(&access),
                    &json!({ "query": "mutation { logout { sessionsClosed } }" }),
                ),
            ),
        )
        .await;
        assert_eq!(out["data"]["logout"]["sessionsClosed"], 1, "{label}: {out}");
        assert_eq!(
            ask(access.clone(), "198.51.100.51:7000").await,
            StatusCode::UNAUTHORIZED
        );
        let before = app.db.statement_count();
        assert_eq!(
            ask(access, "198.51.100.51:7000").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(app.db.statement_count() - before, 0, "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_key_an_earlier_version_kept_in_an_sqlite_database_moves_into_the_key_file() {
    use capitole_persistence::accounts::{insert_signing_key, signing_keys};
    use capitole_persistence::entities::signing_key;
    use capitole_services::auth::Auth;
    use capitole_services::auth::keystore::KeyStore;

    let test_db = capitole_persistence::testing::sqlite().await;
    let now = chrono::Utc::now();
    insert_signing_key(
        &test_db.db,
        signing_key::Model {
            kid: "db-20261201000000".into(),
            secret: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
            created_at: now,
            signs_from: None,
            retires_at: None,
        },
    )
    .await
    .unwrap();
    let store = KeyStore::beside(&test_db.db, &test_db.url, false).unwrap();
    Auth::stored(store).await.unwrap();
    assert!(signing_keys(&test_db.db).await.unwrap().is_empty());
    let path = format!(
        "{}-keys.json",
        test_db
            .url
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap()
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file["keys"][0]["kid"], "db-20261201000000");
    assert_eq!(file["keys"].as_array().map(Vec::len), Some(1));
    test_db.remove().await;
    assert!(!std::path::Path::new(&path).exists());
}
