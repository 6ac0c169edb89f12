//! Mail to people about their account: address verification, password reset, and the
//! note an address's owner gets when someone signs up with it. Mail leaves through SMTP
//! (`CAPITOLE_SMTP_URL`, with TLS); without a server it is written as `.eml` files to a
//! folder (`CAPITOLE_MAIL_DIR`), so that a demo works offline. Sending happens in the
//! background, retried a few times, so that a request answers as fast whether or not it
//! sent a mail, and never waits on a slow mail server.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Where mail goes and how it is addressed.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// An SMTP server (`smtps://user:password@smtp.example.org`, or `smtp://host:587?tls=required`
    /// for STARTTLS); mail is written to `folder` when unset.
    pub smtp_url: Option<String>,
    /// The sender, `Name <address>`.
    pub from: String,
    /// The folder mail is written to without an SMTP server.
    pub folder: PathBuf,
    /// The address of the app that opens the links of account mails
    /// (`https://m.toulouse.fr`): links are `{app_url}/verify-email?token=…` and
    /// `{app_url}/reset-password?token=…`. Without it, mails give the token and the
    /// mutation to send it to.
    pub app_url: Option<String>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Capitole <no-reply@localhost>".to_owned(),
            folder: PathBuf::from("mail"),
            app_url: None,
        }
    }
}

/// One mail to one person.
pub(crate) struct Mail {
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

struct Inner {
    transport: Transport,
    from: Mailbox,
    app_url: Option<String>,
}

/// Sends account mail; cheap to clone.
#[derive(Clone)]
pub struct Mailer(Arc<Inner>);

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may hold a password: say only where mail goes.
        let to = match &self.0.transport {
            Transport::Smtp(_) => "smtp".to_owned(),
            Transport::Folder(path) => path.display().to_string(),
        };
        f.debug_struct("Mailer").field("to", &to).finish()
    }
}

impl Default for Mailer {
    fn default() -> Self {
        Self(Arc::new(Inner {
            transport: Transport::Folder(MailSettings::default().folder),
            from: default_from(),
            app_url: None,
        }))
    }
}

fn default_from() -> Mailbox {
    // A literal address that is valid as written.
    Mailbox::new(
        Some("Capitole".to_owned()),
        lettre::Address::new_dangerous("no-reply", "localhost"),
    )
}

/// Delays before each new attempt to send a mail that failed.
const RETRIES: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(60),
];

impl Mailer {
    /// A mailer as configured; an SMTP URL or a sender that does not parse is refused.
    pub fn new(settings: &MailSettings) -> Result<Self, String> {
        let from: Mailbox = settings.from.parse().map_err(|error| {
            format!("the mail sender `{}` is not valid: {error}", settings.from)
        })?;
        let transport = match settings
            .smtp_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|error| format!("the SMTP URL is not valid: {error}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            ),
            None => Transport::Folder(settings.folder.clone()),
        };
        let app_url = settings
            .app_url
            .as_deref()
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &app_url {
            url::Url::parse(url)
                .map_err(|error| format!("the app URL `{url}` is not valid: {error}"))?;
        }
        Ok(Self(Arc::new(Inner {
            transport,
            from,
            app_url,
        })))
    }

    /// Where mail goes, for the log.
    pub fn describe(&self) -> String {
        match &self.0.transport {
            Transport::Smtp(_) => "an SMTP server".to_owned(),
            Transport::Folder(path) => format!("files in {}", path.display()),
        }
    }

    /// How a mail tells its reader to use a token: a link into the app, or the token and
    /// the mutation to send it to.
    pub(crate) fn token_instructions(&self, page: &str, mutation: &str, token: &str) -> String {
        match &self.0.app_url {
            Some(url) => format!("{url}/{page}?token={token}"),
            None => format!("{token}\n\n(send it to the `{mutation}` mutation of the API)"),
        }
    }

    /// Sends a mail to `to` in the background, trying again a few times if it fails.
    pub(crate) fn send(&self, to: &str, mail: Mail) {
        let message = match self.message(to, mail) {
            Ok(message) => message,
            Err(error) => {
                tracing::error!(%error, "cannot write a mail");
                metrics::counter!("capitole_mail_failures_total").increment(1);
                return;
            }
        };
        let mailer = self.clone();
        tokio::spawn(async move {
            let mut delays = RETRIES.iter();
            loop {
                match mailer.deliver(&message).await {
                    Ok(()) => {
                        metrics::counter!("capitole_mails_sent_total").increment(1);
                        return;
                    }
                    Err(error) => match delays.next() {
                        Some(delay) => {
                            tracing::warn!(%error, "cannot send a mail; trying again");
                            tokio::time::sleep(*delay).await;
                        }
                        None => {
                            tracing::error!(%error, "cannot send a mail; giving up");
                            metrics::counter!("capitole_mail_failures_total").increment(1);
                            return;
                        }
                    },
                }
            }
        });
    }

    fn message(&self, to: &str, mail: Mail) -> Result<Message, String> {
        let to: Mailbox = to
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        Message::builder()
            .from(self.0.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| e.to_string())
    }

    async fn deliver(&self, message: &Message) -> Result<(), String> {
        match &self.0.transport {
            Transport::Smtp(smtp) => smtp
                .send(message.clone())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Folder(folder) => {
                create_private_folder(folder)?;
                let id = AsyncFileTransport::<Tokio1Executor>::new(folder)
                    .send(message.clone())
                    .await
                    .map_err(|e| e.to_string())?;
                let subject = message
                    .headers()
                    .get_raw("Subject")
                    .unwrap_or_default()
                    .to_owned();
                tracing::info!(
                    file = %folder.join(format!("{id}.eml")).display(),
                    %subject,
                    "wrote a mail (no SMTP server is configured)"
                );
                Ok(())
            }
        }
    }
}

/// Makes the mail folder, readable by its owner only: mails carry sign-in links.
fn create_private_folder(folder: &std::path::Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(folder)
        .map_err(|error| format!("cannot make the mail folder {}: {error}", folder.display()))
}
