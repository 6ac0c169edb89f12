//! The tables of people's accounts: users, their organizations, sessions and refresh
//! tokens, app tokens, mailed tokens, signing keys and sign-in throttles.

/// People with accounts.
pub mod user {
    use sea_orm::entity::prelude::*;

    /// A row of `users`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub email: String,
        pub display_name: String,
        pub password_hash: String,
        pub role: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub password_changed_at: DateTimeUtc,
        pub check_ins_public: bool,
        pub hidden_from_mayor: bool,
        pub email_verified_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

/// Single-use tokens mailed to people (address verification, password reset), hashed.
pub mod account_token {
    use sea_orm::entity::prelude::*;

    /// A row of `account_tokens`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub purpose: String,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

/// The organizations an editor publishes for.
pub mod user_organization {
    use sea_orm::entity::prelude::*;

    /// A row of `user_organizations`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
    }
    no_relations!();
}

/// Refresh tokens, stored hashed; each session's tokens rotate (`family_id` is the session).
pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    /// A row of `refresh_tokens`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub family_id: Uuid,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub spent_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

/// Sessions: one row per sign-in, closed in one place.
pub mod session {
    use sea_orm::entity::prelude::*;

    /// A row of `sessions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub created_at: DateTimeUtc,
        pub refreshed_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

/// Third-party apps' tokens, stored hashed.
pub mod api_token {
    use sea_orm::entity::prelude::*;

    /// A row of `api_tokens`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub app_name: String,
        pub contact: String,
        pub token_hash: String,
        pub hint: String,
        pub scopes: String,
        pub tier: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

/// Keys that sign access tokens when none is configured.
pub mod signing_key {
    use sea_orm::entity::prelude::*;

    /// A row of `signing_keys`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        pub secret: String,
        pub created_at: DateTimeUtc,
        pub signs_from: Option<DateTimeUtc>,
        pub retires_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

/// Attempt counters that slow down guessing and floods (sign-ins per account, per address
/// and per both; sign-ups per address).
pub mod login_throttle {
    use sea_orm::entity::prelude::*;

    /// A row of `login_throttle`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_throttle")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        pub failures: i32,
        pub window_started_at: DateTimeUtc,
    }
    no_relations!();
}
