//! Mail for accounts, read back the way a mail client would (parsed by `mailparse`): the
//! neutral sign-up, address verification, password reset, and mail through a real SMTP
//! conversation with a listener this test starts on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use capitole_persistence::account_tokens::{self, Purpose};
use capitole_persistence::accounts::user_by_email;
use capitole_persistence::entities::account_token;
use capitole_persistence::sea_orm::EntityTrait;
use mailparse::MailHeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::accounts::{PASSWORD, login, run};
use super::{TestApp, apps, code};

/// A mail as its reader sees it.
#[derive(Debug, Clone)]
pub(super) struct Received {
    pub to: String,
    pub subject: String,
    pub body: String,
}

fn parse(raw: &[u8]) -> Received {
    let mail = mailparse::parse_mail(raw).expect("a well-formed mail");
    let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
    Received {
        to: header("To"),
        subject: header("Subject"),
        body: mail.get_body().expect("a readable body"),
    }
}

/// The mails the app wrote to `to`, oldest first.
pub(super) fn mails_to(app: &TestApp, to: &str) -> Vec<Received> {
    let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> =
        std::fs::read_dir(app.mail.path())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
                    .collect()
            })
            .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|(_, path)| parse(&std::fs::read(path).unwrap()))
        .filter(|mail| mail.to.to_lowercase().contains(&to.to_lowercase()))
        .collect()
}

/// Waits for the mail to `to` after the first `seen` ones (mail leaves in the background).
pub(super) async fn next_mail(app: &TestApp, to: &str, seen: usize) -> Received {
    for _ in 0..200 {
        let mails = mails_to(app, to);
        if mails.len() > seen {
            return mails[seen].clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no mail to {to} after the first {seen}");
}

/// The token that starts with `prefix` in a mail's text.
pub(super) fn token_in(body: &str, prefix: &str) -> String {
    let start = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} token in {body}"));
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect()
}

const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { email message } }";
const VERIFY: &str = "mutation($t: String!) { verifyEmail(token: $t) { session { accessToken refreshToken user { displayName } } } }";
const RESET: &str = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { session { accessToken } } }";

async fn sign_up(app: &TestApp, email: &str, password: &str, name: &str) -> Value {
    let (status, body) = run(
        app,
        None,
        REGISTER,
        json!({ "input": { "email": email, "password": password, "displayName": name } }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn signs_in(app: &TestApp, email: &str, password: &str) -> bool {
    login(app, email, password).await["data"]["login"]["session"]["accessToken"].is_string()
}

#[tokio::test]
async fn signing_up_answers_alike_whether_or_not_the_address_has_an_account() {
    for app in apps().await {
        let label = app.test_db.label;
        let fresh = sign_up(&app, "Ana@Example.org", PASSWORD, "Ana").await;
        assert_eq!(
            fresh["data"]["register"]["email"], "ana@example.org",
            "{label}"
        );
        let welcome = next_mail(&app, "ana@example.org", 0).await;
        assert_eq!(welcome.subject, "Confirm your address", "{label}");
        // Nobody signs in before the address is confirmed, and the refusal is the one of a
        // wrong password.
        let early = login(&app, "ana@example.org", PASSWORD).await;
        let wrong = login(&app, "ana@example.org", "not-the-password").await;
        assert_eq!(code(&early), "UNAUTHENTICATED", "{label}: {early}");
        assert_eq!(early["errors"][0]["message"], wrong["errors"][0]["message"]);
        let (_, verified) = run(
            &app,
            None,
            VERIFY,
            json!({ "t": token_in(&welcome.body, "ev_") }),
        )
        .await;
        assert!(
            verified["data"]["verifyEmail"]["session"]["accessToken"].is_string(),
            "{label}: {verified}"
        );
        assert!(signs_in(&app, "ana@example.org", PASSWORD).await, "{label}");

        // Someone signs up again with the address: the same answer, and the owner gets a note
        // with a reset link; the account and its password stay as they were.
        let again = sign_up(&app, "ana@example.org", "mot-de-passe-du-voleur", "Thief").await;
        assert_eq!(again["data"], fresh["data"], "{label}");
        assert_eq!(again.get("errors"), None, "{label}: {again}");
        let note = next_mail(&app, "ana@example.org", 1).await;
        assert!(note.body.contains("already have one"), "{label}: {note:?}");
        assert!(note.body.contains("pw_"), "{label}: {note:?}");
        assert!(!signs_in(&app, "ana@example.org", "mot-de-passe-du-voleur").await);
        assert!(signs_in(&app, "ana@example.org", PASSWORD).await, "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn an_unconfirmed_address_belongs_to_whoever_confirms_it() {
    for app in apps().await {
        let label = app.test_db.label;
        // A squatter signs up with Bea's address first and cannot confirm it.
        sign_up(
            &app,
            "bea@example.org",
            "mot-de-passe-du-squatteur",
            "Squatter",
        )
        .await;
        next_mail(&app, "bea@example.org", 0).await;
        // Bea signs up: her password and name replace the squatter's, and her link works.
        sign_up(&app, "bea@example.org", PASSWORD, "Bea").await;
        let mail = next_mail(&app, "bea@example.org", 1).await;
        let (_, verified) = run(
            &app,
            None,
            VERIFY,
            json!({ "t": token_in(&mail.body, "ev_") }),
        )
        .await;
        assert_eq!(
            verified["data"]["verifyEmail"]["session"]["user"]["displayName"], "Bea",
            "{label}: {verified}"
        );
        assert!(signs_in(&app, "bea@example.org", PASSWORD).await, "{label}");
        assert!(!signs_in(&app, "bea@example.org", "mot-de-passe-du-squatteur").await);
        // A link works once; asking for a new one for a confirmed address mails nothing.
        let (_, replay) = run(
            &app,
            None,
            VERIFY,
            json!({ "t": token_in(&mail.body, "ev_") }),
        )
        .await;
        assert_eq!(code(&replay), "BAD_USER_INPUT", "{label}: {replay}");
        let (_, asked) = run(
            &app,
            None,
            "mutation { requestEmailVerification(email: \"Bea@Example.org\") { email } }",
            json!({}),
        )
        .await;
        assert_eq!(
            asked["data"]["requestEmailVerification"]["email"], "bea@example.org",
            "{label}: {asked}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(mails_to(&app, "bea@example.org").len(), 2, "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_within_thirty_minutes() {
    for app in apps().await {
        let label = app.test_db.label;
        let (access, _) = super::accounts::register(&app, "chloe@example.org").await;
        let seen = mails_to(&app, "chloe@example.org").len();
        for email in ["chloe@example.org", "nobody@example.org"] {
            let (_, asked) = run(
                &app,
                None,
                "mutation($e: Email!) { requestPasswordReset(email: $e) { email } }",
                json!({ "e": email }),
            )
            .await;
            // The same answer whether or not the address has an account.
            assert_eq!(
                asked["data"]["requestPasswordReset"],
                json!({ "email": email }),
                "{label}: {asked}"
            );
        }
        let mail = next_mail(&app, "chloe@example.org", seen).await;
        let token = token_in(&mail.body, "pw_");
        assert!(mail.body.contains("30 minutes"), "{label}: {mail:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(mails_to(&app, "nobody@example.org").is_empty(), "{label}");
        // Only the token's hash is stored.
        let stored = account_token::Entity::find()
            .all(app.db.connection())
            .await
            .unwrap();
        assert!(
            stored
                .iter()
                .all(|t| t.token_hash != token && !token.contains(&t.token_hash))
        );

        let new_password = "violette-canal-du-midi";
        let (_, weak) = run(&app, None, RESET, json!({ "t": token, "p": "short" })).await;
        assert_eq!(code(&weak), "BAD_USER_INPUT", "{label}: {weak}");
        let (_, reset) = run(&app, None, RESET, json!({ "t": token, "p": new_password })).await;
        let fresh = reset["data"]["resetPassword"]["session"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {reset}"))
            .to_owned();
        // Every earlier session closed; the new one works; the old password does not.
        let (status, _) = run(&app, Some(&access), "{ viewer { email } }", json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}");
        let (status, _) = run(&app, Some(&fresh), "{ viewer { email } }", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert!(
            !signs_in(&app, "chloe@example.org", PASSWORD).await,
            "{label}"
        );
        assert!(
            signs_in(&app, "chloe@example.org", new_password).await,
            "{label}"
        );
        // The token works once.
        let (_, replay) = run(
            &app,
            None,
            RESET,
            json!({ "t": token, "p": "encore-un-autre-mot" }),
        )
        .await;
        assert_eq!(code(&replay), "BAD_USER_INPUT", "{label}: {replay}");

        // A token older than 30 minutes is refused.
        let person = user_by_email(&app.db, "chloe@example.org")
            .await
            .unwrap()
            .unwrap();
        let old = "pw_a-token-made-thirty-one-minutes-ago";
        let digest: String = Sha256::digest(old.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        account_tokens::issue(
            &app.db,
            person.id,
            Purpose::ResetPassword,
            digest,
            chrono::Utc::now() - chrono::Duration::minutes(31),
            capitole_services::accounts::RESET_LIFETIME,
        )
        .await
        .unwrap();
        let (_, expired) = run(
            &app,
            None,
            RESET,
            json!({ "t": old, "p": "encore-un-autre-mot" }),
        )
        .await;
        assert_eq!(code(&expired), "BAD_USER_INPUT", "{label}: {expired}");
        assert!(
            signs_in(&app, "chloe@example.org", new_password).await,
            "{label}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn one_address_gets_at_most_five_account_mails_an_hour() {
    for app in apps().await {
        let label = app.test_db.label;
        super::accounts::register(&app, "dan@example.org").await;
        let seen = mails_to(&app, "dan@example.org").len();
        for _ in 0..8 {
            let (_, asked) = run(
                &app,
                None,
                "mutation { requestPasswordReset(email: \"dan@example.org\") { email } }",
                json!({}),
            )
            .await;
            assert_eq!(
                asked["data"]["requestPasswordReset"]["email"], "dan@example.org",
                "{label}: {asked}"
            );
        }
        next_mail(&app, "dan@example.org", seen + 3).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The sign-up's mail counted too.
        assert_eq!(mails_to(&app, "dan@example.org").len(), 5, "{label}");
        app.test_db.remove().await;
    }
}

/// A minimal SMTP server: it speaks the protocol (RFC 5321) to any client and keeps each
/// message it is given, undoing dot-stuffing.
struct SmtpListener {
    port: u16,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl SmtpListener {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write
                        .write_all(b"220 localhost ESMTP test\r\n")
                        .await
                        .unwrap();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-localhost\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
                            "DATA" => {
                                write.write_all(b"354 go ahead\r\n").await.unwrap();
                                let mut message = Vec::new();
                                while let Ok(Some(data)) = lines.next_line().await {
                                    if data == "." {
                                        break;
                                    }
                                    let data = data.strip_prefix('.').unwrap_or(&data);
                                    message.extend_from_slice(data.as_bytes());
                                    message.extend_from_slice(b"\r\n");
                                }
                                kept.lock().unwrap().push(message);
                                b"250 OK queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"502 not implemented\r\n",
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        Self { port, received }
    }

    async fn next(&self, seen: usize) -> Received {
        for _ in 0..200 {
            if let Some(raw) = self.received.lock().unwrap().get(seen) {
                return parse(raw);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the SMTP listener received no mail after the first {seen}");
    }
}

#[tokio::test]
async fn account_mail_leaves_through_a_real_smtp_conversation() {
    let smtp = SmtpListener::start().await;
    for app in apps().await {
        let label = app.test_db.label;
        let seen = smtp.received.lock().unwrap().len();
        let mut context = super::context(&app.db, app.mail.path()).await;
        context.accounts.mailer =
            capitole_services::mail::Mailer::new(&capitole_services::mail::MailSettings {
                smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)),
                from: "Mairie de Toulouse <ne-pas-repondre@toulouse.example>".into(),
                app_url: Some("https://m.toulouse.example/".into()),
                ..capitole_services::mail::MailSettings::default()
            })
            .unwrap();
        let router = capitole_api::http::router(context, &capitole_api::HttpSettings::default());
        let app = TestApp { router, ..app };
        sign_up(&app, "eve@example.org", PASSWORD, "Ève").await;
        let mail = smtp.next(seen).await;
        assert_eq!(mail.to, "eve@example.org", "{label}");
        assert_eq!(mail.subject, "Confirm your address", "{label}");
        assert!(mail.body.contains("Hello Ève"), "{label}: {mail:?}");
        assert!(
            mail.body
                .contains("https://m.toulouse.example/verify-email?token=ev_"),
            "{label}: {mail:?}"
        );
        assert!(
            mails_to(&app, "eve@example.org").is_empty(),
            "{label}: no file is written"
        );
        let (_, verified) = run(
            &app,
            None,
            VERIFY,
            json!({ "t": token_in(&mail.body, "ev_") }),
        )
        .await;
        assert!(
            verified["data"]["verifyEmail"]["session"]["accessToken"].is_string(),
            "{label}: {verified}"
        );
        app.test_db.remove().await;
    }
}
