//! `capitole user` and `capitole token`: people's accounts and third-party apps' tokens,
//! with the account operations that the GraphQL mutations use too.

use anyhow::Context;
use capitole_domain::access::{RateTier, Role, Scope};
use capitole_persistence::Database;
use capitole_services::{accounts, tokens};
use chrono::{DateTime, Utc};
use clap::Subcommand;

use super::refused;

#[derive(Subcommand, Debug)]
pub(crate) enum UserCommand {
    /// Creates an account; the password is read from standard input.
    Create {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// CITIZEN, EDITOR or ADMINISTRATOR.
        #[arg(long, default_value = "CITIZEN", value_parser = parse_role)]
        role: Role,
        /// For editors: an organization they edit for (slug); repeat for several.
        #[arg(long = "organization")]
        organizations: Vec<String>,
        /// How their name is shown (defaults to the part of the email before `@`).
        #[arg(long)]
        name: Option<String>,
    },
    /// Changes a person's role (and, for editors, their organizations).
    SetRole {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// CITIZEN, EDITOR or ADMINISTRATOR.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// For editors: an organization they edit for (slug); repeat for several.
        #[arg(long = "organization")]
        organizations: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum TokenCommand {
    /// Makes a token for a third-party app and prints it (the only time it is shown).
    Create {
        /// The app's name.
        #[arg(long)]
        app: String,
        /// The email address of whoever answers for the app.
        #[arg(long)]
        contact: String,
        /// What the token allows (`read`); repeat for several.
        #[arg(long = "scope", required = true, value_parser = Scope::parse)]
        scopes: Vec<Scope>,
        /// Its budget: STANDARD or PARTNER.
        #[arg(long, default_value = "STANDARD", value_parser = parse_tier)]
        tier: RateTier,
    },
    /// Lists every token (without secrets).
    List,
    /// Revokes a token by the id `token list` shows; it stops working at once.
    Revoke {
        /// The token's id.
        id: uuid::Uuid,
    },
}

/// A role as the command line writes it, in any case.
fn parse_role(raw: &str) -> Result<Role, String> {
    Role::from_code(&raw.to_ascii_uppercase())
        .ok_or_else(|| "the role is CITIZEN, EDITOR or ADMINISTRATOR".to_owned())
}

/// An app's tier as the command line writes it: only STANDARD and PARTNER are for apps.
fn parse_tier(raw: &str) -> Result<RateTier, String> {
    match RateTier::from_code(&raw.to_ascii_uppercase()) {
        Some(tier @ (RateTier::Standard | RateTier::Partner)) => Ok(tier),
        _ => Err("an app's tier is STANDARD or PARTNER".to_owned()),
    }
}

/// Runs an account command.
pub(crate) async fn user(
    db: &Database,
    command: UserCommand,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            email,
            role,
            organizations,
            name,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
            let user =
                accounts::create_user(db, &email, password, &name, role, &organizations, now)
                    .await
                    .map_err(refused)?;
            println!("created {} ({}) with id {}", user.email, user.role, user.id);
        }
        UserCommand::SetRole {
            email,
            role,
            organizations,
        } => {
            let user = accounts::set_role(db, &email, role, &organizations, now)
                .await
                .map_err(refused)?;
            println!("{} is now {}", user.email, user.role);
        }
    }
    Ok(())
}

/// Runs an app token command.
pub(crate) async fn token(
    db: &Database,
    command: TokenCommand,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            app,
            contact,
            scopes,
            tier,
        } => {
            let (token, row) =
                tokens::create_api_token(db, &app, &contact, &scopes, tier, None, now)
                    .await
                    .map_err(refused)?;
            eprintln!(
                "token {} for {}; it is shown once, keep it secret:",
                row.id, row.app_name
            );
            println!("{token}");
        }
        TokenCommand::List => {
            // Every token, newest first, a page at a time.
            let mut after = None;
            loop {
                let request = capitole_persistence::PageRequest::after(100, after.take());
                let page = capitole_persistence::accounts::api_tokens(db, &request).await?;
                for (row, _) in &page.rows {
                    let state = row.revoked_at.map_or_else(
                        || "live".to_owned(),
                        |at| format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                    );
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        row.id,
                        row.app_name,
                        row.hint,
                        row.scopes.trim_matches('|').replace('|', ","),
                        row.tier,
                        row.contact,
                        state
                    );
                }
                if !page.has_next_page {
                    break;
                }
                after = page.rows.last().map(|(_, cursor)| cursor.clone());
            }
        }
        TokenCommand::Revoke { id } => {
            let row = tokens::revoke_api_token(db, id, now)
                .await
                .map_err(refused)?;
            println!("revoked {} ({})", row.id, row.app_name);
        }
    }
    Ok(())
}
