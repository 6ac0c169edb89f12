//! The tables of what residents add to places: check-ins, tips with their likes and
//! reports, votes, statistics, saves and attendance.

/// Check-ins of people at places.
pub mod check_in {
    use sea_orm::entity::prelude::*;

    /// A row of `check_ins`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "check_ins")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub place_id: Uuid,
        pub created_at: DateTimeUtc,
        pub message: Option<String>,
        pub idempotency_key: Option<String>,
    }
    no_relations!();
}

/// Tips left on places.
pub mod tip {
    use sea_orm::entity::prelude::*;

    /// A row of `tips`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tips")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub place_id: Uuid,
        pub user_id: Uuid,
        pub text: String,
        pub created_at: DateTimeUtc,
        pub like_count: i64,
        pub report_count: i64,
        pub hidden_at: Option<DateTimeUtc>,
        pub hidden_by: Option<Uuid>,
    }
    no_relations!();
}

/// Likes of tips.
pub mod tip_like {
    use sea_orm::entity::prelude::*;

    /// A row of `tip_likes`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tip_likes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tip_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

/// Reports of tips, for moderation.
pub mod tip_report {
    use sea_orm::entity::prelude::*;

    /// A row of `tip_reports`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tip_reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tip_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub reason: Option<String>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

/// Likes and dislikes of places.
pub mod place_vote {
    use sea_orm::entity::prelude::*;

    /// A row of `place_votes`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "place_votes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub place_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub vote: String,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

/// Counters of each place, kept with every write.
pub mod place_stat {
    use sea_orm::entity::prelude::*;

    /// A row of `place_stats`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "place_stats")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub place_id: Uuid,
        pub check_ins: i64,
        pub visitors: i64,
        pub tips: i64,
        pub likes: i64,
        pub dislikes: i64,
    }
    no_relations!();
}

/// Items people saved to their lists.
pub mod save {
    use sea_orm::entity::prelude::*;

    /// A row of `saves`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "saves")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub item_kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub item_id: Uuid,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

/// People going to a date of an event.
pub mod attendance {
    use sea_orm::entity::prelude::*;

    /// A row of `attendances`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attendances")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub occurrence_id: Uuid,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}
