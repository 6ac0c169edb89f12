//! What the load clients share: a GraphQL call, and residents registered and confirmed
//! through the API as people are, with the links the server wrote to `BENCH_MAIL_DIR`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A GraphQL request; `null` when it did not get an answer.
pub async fn graphql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    let mut request = client
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    match request.send().await {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// The ids of the first `count` places by name.
pub async fn place_ids(client: &reqwest::Client, base: &str, count: usize) -> Vec<String> {
    let body = json!({
        "query": "query($n: Int!) { places(first: $n, orderBy: NAME) { nodes { id } } }",
        "variables": { "n": count }
    });
    graphql(client, base, None, body).await["data"]["places"]["nodes"]
        .as_array()
        .expect("the places answer")
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect()
}

/// A signed-in person's tokens.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct Session {
    pub access: String,
    pub refresh: String,
}

impl Session {
    /// The session in a `Session` object of an answer.
    pub fn from(session: &Value) -> Option<Session> {
        Some(Session {
            access: session["accessToken"].as_str()?.to_owned(),
            refresh: session["refreshToken"].as_str()?.to_owned(),
        })
    }

    /// The next pair of tokens, as an app asks before its access token expires (15 min).
    #[allow(dead_code)]
    pub async fn refreshed(&self, client: &reqwest::Client, base: &str) -> Option<Session> {
        let body = json!({
            "query": "mutation($r: String!) { refreshSession(refreshToken: $r) { session { accessToken refreshToken } } }",
            "variables": { "r": self.refresh }
        });
        Session::from(&graphql(client, base, None, body).await["data"]["refreshSession"]["session"])
    }
}

/// `count` residents (`{prefix}-{n}@example.org`), registered a few at a time (each
/// sign-up hashes a password), then confirmed: their sessions.
pub async fn residents(
    client: &reqwest::Client,
    base: &str,
    prefix: &str,
    count: usize,
) -> Vec<Session> {
    let started = Instant::now();
    let mut emails = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(16) {
        let signups = chunk.iter().map(|i| {
            let client = client.clone();
            let base = base.to_owned();
            async move {
                let email = format!("{prefix}-{i}@example.org");
                let body = json!({
                    "query": "mutation($i: RegisterInput!) { register(input: $i) { email } }",
                    "variables": { "i": { "email": email, "password": "banc-d-essai-capitole", "displayName": "Banc" } }
                });
                graphql(&client, &base, None, body).await["data"]["register"]["email"]
                    .as_str()
                    .map(str::to_owned)
            }
        });
        emails.extend(
            futures_util::future::join_all(signups)
                .await
                .into_iter()
                .flatten(),
        );
    }
    let confirmations = confirmation_tokens(emails.len()).await;
    let mut tokens = Vec::with_capacity(count);
    for chunk in emails.chunks(16) {
        let verified = chunk
            .iter()
            .filter_map(|email| confirmations.get(email))
            .map(|token| {
                let client = client.clone();
                let base = base.to_owned();
                let body = json!({
                    "query": "mutation($t: String!) { verifyEmail(token: $t) { session { accessToken refreshToken } } }",
                    "variables": { "t": token }
                });
                async move {
                    Session::from(&graphql(&client, &base, None, body).await["data"]["verifyEmail"]["session"])
                }
            });
        tokens.extend(
            futures_util::future::join_all(verified)
                .await
                .into_iter()
                .flatten(),
        );
    }
    eprintln!(
        "{} residents registered in {:.1} s",
        tokens.len(),
        started.elapsed().as_secs_f64()
    );
    tokens
}

/// The confirmation tokens the server mailed, by address, read from its mail folder
/// (`BENCH_MAIL_DIR`) once `expected` of them are there (or after 20 s).
async fn confirmation_tokens(expected: usize) -> HashMap<String, String> {
    use mailparse::MailHeaderMap;
    let folder =
        std::env::var("BENCH_MAIL_DIR").expect("BENCH_MAIL_DIR names the server's mail folder");
    let mut tokens = HashMap::new();
    let mut read = std::collections::HashSet::new();
    for _ in 0..200 {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if read.contains(&path) {
                continue;
            }
            let Ok(raw) = std::fs::read(&path) else {
                continue;
            };
            let Ok(mail) = mailparse::parse_mail(&raw) else {
                continue;
            };
            let (Some(to), Ok(body)) = (mail.headers.get_first_value("To"), mail.get_body()) else {
                continue;
            };
            if let Some(start) = body.find("ev_") {
                let token = body[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .collect();
                tokens.insert(to, token);
            }
            read.insert(path);
        }
        if tokens.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokens
}
