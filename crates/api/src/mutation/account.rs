//! Signing up, in and out, sessions, passwords and the erasure of one's own account.

use async_graphql::{Context, InputObject, Object};
use capitole_services::accounts::{self, NewSession};

use super::payloads::{
    ChangePasswordPayload, DeleteMyAccountPayload, LoginPayload, LogoutPayload,
    RefreshSessionPayload, RequestEmailVerificationPayload, RequestPasswordResetPayload,
    ResetPasswordPayload, VerifyEmailPayload,
};
use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::types::account::{RegisterPayload, Session, User};
use crate::types::scalars::Email;

/// A new account.
#[derive(InputObject)]
pub(crate) struct RegisterInput {
    /// Their email address (one account per address; a link to confirm it is mailed to it).
    pub email: Email,
    /// At least 12 characters, not one of the most common passwords.
    pub password: String,
    /// How their name is shown (1 to 80 characters).
    pub display_name: String,
}

/// What the services of a request act on.
fn session(new: NewSession) -> Session {
    Session {
        access_token: new.tokens.access_token,
        access_token_expires_at: new.tokens.access_expires_at,
        refresh_token: new.tokens.refresh_token,
        user: User(new.user),
    }
}

#[derive(Default)]
pub(crate) struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs a resident up. The answer is the same whether or not the address already has
    /// an account: a mail to the address carries a link to confirm it (valid 24 hours), and
    /// the account can sign in once it is confirmed; if the address had an account, its
    /// owner gets a note with a link to reset the password instead. At most a few sign-ups
    /// per client address and hour.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account: email, password and display name.")]
        input: RegisterInput,
    ) -> ApiResult<RegisterPayload> {
        let scope = scope(ctx)?;
        let email = accounts::register(
            &scope.services(),
            &scope.accounts,
            &input.email.0,
            &input.password,
            &input.display_name,
            scope.client,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(RegisterPayload {
            message: format!(
                "We sent a mail to {}: follow its link to confirm the address, then sign in.",
                email.as_str()
            ),
            email: Email(email.as_str().to_owned()),
        })
    }

    /// Confirms an email address with the token of the link mailed to it, and signs its
    /// owner in. Each token works once.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the link in the mail (`ev_…`).")] token: String,
    ) -> ApiResult<VerifyEmailPayload> {
        let scope = scope(ctx)?;
        accounts::verify_email(&scope.services(), &scope.auth, &token, scope.now)
            .await
            .map(|new| session(new).into())
            .map_err(to_gql)
    }

    /// Mails a new link to confirm an address whose account waits for it. The answer is the
    /// same whether or not it has one, so it tells nobody which addresses do.
    async fn request_email_verification(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address of the account.")] email: Email,
    ) -> ApiResult<RequestEmailVerificationPayload> {
        let scope = scope(ctx)?;
        accounts::request_verification(&scope.services(), &scope.accounts, &email.0, scope.now)
            .await
            .map(|email| RequestEmailVerificationPayload {
                email: Email(email.as_str().to_owned()),
            })
            .map_err(to_gql)
    }

    /// Mails a link to choose a new password (valid 30 minutes, once) to the address, if it
    /// has an account. The answer is the same whether or not it has one, so it tells nobody
    /// which addresses do.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address of the account.")] email: Email,
    ) -> ApiResult<RequestPasswordResetPayload> {
        let scope = scope(ctx)?;
        accounts::request_password_reset(&scope.services(), &scope.accounts, &email.0, scope.now)
            .await
            .map(|email| RequestPasswordResetPayload {
                email: Email(email.as_str().to_owned()),
            })
            .map_err(to_gql)
    }

    /// Chooses a new password with the token of a reset link: every session of the account
    /// closes, the address counts as confirmed, and a new session is returned.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the link in the mail (`pw_…`).")] token: String,
        #[graphql(desc = "The new password (at least 12 characters, not a common one).")]
        new_password: String,
    ) -> ApiResult<ResetPasswordPayload> {
        let scope = scope(ctx)?;
        accounts::reset_password(
            &scope.services(),
            &scope.auth,
            &token,
            &new_password,
            scope.now,
        )
        .await
        .map(|new| session(new).into())
        .map_err(to_gql)
    }

    /// Signs in with email and password. A wrong email and a wrong password get the same
    /// answer; repeated failures for one account or from one address are refused for a
    /// while (`RATE_LIMITED`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email address.")] email: Email,
        #[graphql(desc = "Its password.")] password: String,
    ) -> ApiResult<LoginPayload> {
        let scope = scope(ctx)?;
        accounts::sign_in(
            &scope.services(),
            &scope.auth,
            &email.0,
            &password,
            scope.client,
            scope.now,
        )
        .await
        .map(|new| session(new).into())
        .map_err(to_gql)
    }

    /// Trades a refresh token for a new access token and a new refresh token. Each refresh
    /// token works once: replaying a spent one closes the whole session.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token of the last `Session`.")] refresh_token: String,
    ) -> ApiResult<RefreshSessionPayload> {
        let scope = scope(ctx)?;
        accounts::refresh(&scope.services(), &scope.auth, &refresh_token, scope.now)
            .await
            .map(|new| session(new).into())
            .map_err(to_gql)
    }

    /// Closes this session (or, with `everywhere`, every session of the account): its access
    /// and refresh tokens stop working at once.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Close every session of the account.", default = false)] everywhere: bool,
    ) -> ApiResult<LogoutPayload> {
        let scope = scope(ctx)?;
        accounts::sign_out(&scope.services(), &scope.principal, everywhere, scope.now)
            .await
            .map(Into::into)
            .map_err(to_gql)
    }

    /// Changes the password: every session closes and a new one is returned.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password now.")] current_password: String,
        #[graphql(desc = "The new password (at least 12 characters, not a common one).")]
        new_password: String,
    ) -> ApiResult<ChangePasswordPayload> {
        let scope = scope(ctx)?;
        accounts::change_password(
            &scope.services(),
            &scope.auth,
            &scope.principal,
            &current_password,
            &new_password,
            scope.client,
            scope.now,
        )
        .await
        .map(|new| session(new).into())
        .map_err(to_gql)
    }

    /// Erases the signed-in person's account and personal data (their right to erasure
    /// under the GDPR). Public content they published for an organization stays, as the
    /// organization's. The password is asked again.
    async fn delete_my_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> ApiResult<DeleteMyAccountPayload> {
        let scope = scope(ctx)?;
        accounts::erase(
            &scope.services(),
            &scope.auth,
            &scope.principal,
            &password,
            scope.client,
            scope.now,
        )
        .await
        .map(Into::into)
        .map_err(to_gql)
    }
}
