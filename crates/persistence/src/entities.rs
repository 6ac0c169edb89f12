//! sea-orm entities: one module per table, mirroring the migrations column for column.
//! Nothing here holds a rule; repositories and the domain do.

macro_rules! no_relations {
    () => {
        /// Relations are followed by repository queries, not by sea-orm.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

mod accounts;
mod community;

pub use accounts::{
    account_token, api_token, login_throttle, refresh_token, session, signing_key, user,
    user_organization,
};
pub use community::{
    attendance, check_in, place_stat, place_vote, save, tip, tip_like, tip_report,
};

/// Publishers.
pub mod organization {
    use sea_orm::entity::prelude::*;

    /// A row of `organizations`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub slug: String,
        pub name: String,
        pub kind: String,
        pub website: Option<String>,
        pub description: String,
        pub social_accounts: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

/// Neighbourhoods.
pub mod neighborhood {
    use sea_orm::entity::prelude::*;

    /// A row of `neighborhoods`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "neighborhoods")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub slug: String,
        pub name: String,
        pub latitude: Option<f64>,
        pub longitude: Option<f64>,
    }
    no_relations!();
}

/// Categories of places, events and news.
pub mod category {
    use sea_orm::entity::prelude::*;

    /// A row of `categories`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub slug: String,
        pub kind: String,
        pub name: String,
        pub parent_id: Option<Uuid>,
    }
    no_relations!();
}

/// Places.
pub mod place {
    use sea_orm::entity::prelude::*;

    /// A row of `places`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "places")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub slug: String,
        pub name: String,
        pub name_folded: String,
        pub description: String,
        pub latitude: f64,
        pub longitude: f64,
        pub address: String,
        pub postal_code: String,
        pub city: String,
        pub neighborhood_id: Option<Uuid>,
        pub phone: Option<String>,
        pub email: Option<String>,
        pub website: Option<String>,
        pub opening_hours: String,
        pub accessibility: String,
        pub popularity: i64,
        pub rating: Option<f64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
        /// The system the place is synchronised from, if another system owns it.
        pub source: Option<String>,
        /// Its id in that system.
        pub external_id: Option<String>,
        /// `OPEN`, `TEMPORARILY_CLOSED` or `PERMANENTLY_CLOSED`.
        pub closure: String,
        /// When a temporary closure ends.
        pub closed_until: Option<DateTimeUtc>,
        /// Its easy-to-read summary.
        pub easy_read_summary: Option<String>,
        /// The accessibility features it has, encoded `|CODE|…|`.
        pub accessibility_features: String,
        /// Its pictures, the main one first, as a JSON list.
        pub pictures: String,
        /// Its videos, photos and albums on the city's channels, as a JSON list.
        pub media: String,
    }
    no_relations!();
}

/// Which categories a place is in.
pub mod place_category {
    use sea_orm::entity::prelude::*;

    /// A row of `place_categories`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "place_categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub place_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub category_id: Uuid,
        pub position: i64,
    }
    no_relations!();
}

/// Events.
pub mod event {
    use sea_orm::entity::prelude::*;

    /// A row of `events`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub slug: String,
        pub title: String,
        pub summary: String,
        pub easy_read_summary: Option<String>,
        pub description: String,
        pub search_text: String,
        pub status: String,
        pub attendance_mode: String,
        pub online_url: Option<String>,
        pub age_min: Option<i64>,
        pub age_max: Option<i64>,
        pub accessibility: String,
        pub audiences: String,
        pub is_free: bool,
        pub price: Option<String>,
        pub registration_url: Option<String>,
        pub registration_phone: Option<String>,
        pub registration_email: Option<String>,
        pub place_id: Option<Uuid>,
        pub location_text: Option<String>,
        pub recurrence_rule: Option<String>,
        pub duration_minutes: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
        /// The system the event is synchronised from, if another system owns it.
        pub source: Option<String>,
        /// Its id in that system.
        pub external_id: Option<String>,
        /// The local wall-clock first start of the recurrence (`2026-03-07T08:00:00`).
        pub recurrence_start: Option<String>,
        /// Local dates the recurrence skips, encoded `|2026-03-28|…|`.
        pub recurrence_exceptions: String,
        /// The accessibility features it shows, encoded `|CODE|…|`.
        pub accessibility_features: String,
        /// Whether it states no accessibility of its own and shows its venue's.
        pub inherits_accessibility: bool,
        /// Its pictures, the main one first, as a JSON list.
        pub pictures: String,
        /// Its videos, photos and albums on the city's channels, as a JSON list.
        pub media: String,
    }
    no_relations!();
}

/// Which categories an event is in.
pub mod event_category {
    use sea_orm::entity::prelude::*;

    /// A row of `event_categories`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub category_id: Uuid,
        pub position: i64,
    }
    no_relations!();
}

/// Who publishes an event (one or more publishers, in order).
pub mod event_organization {
    use sea_orm::entity::prelude::*;

    /// A row of `event_organizations`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        pub position: i64,
    }
    no_relations!();
}

/// Who publishes a place (one or more publishers, in order; none for the administrators').
pub mod place_organization {
    use sea_orm::entity::prelude::*;

    /// A row of `place_organizations`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "place_organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub place_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        pub position: i64,
    }
    no_relations!();
}

/// Which neighbourhoods an event concerns.
pub mod event_neighborhood {
    use sea_orm::entity::prelude::*;

    /// A row of `event_neighborhoods`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_neighborhoods")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub neighborhood_id: Uuid,
    }
    no_relations!();
}

/// The dates of events.
pub mod event_occurrence {
    use sea_orm::entity::prelude::*;

    /// A row of `event_occurrences`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_occurrences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub event_id: Uuid,
        pub starts_at: DateTimeUtc,
        pub ends_at: DateTimeUtc,
        pub status: String,
    }
    no_relations!();
}

/// News articles.
pub mod article {
    use sea_orm::entity::prelude::*;

    /// A row of `articles`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "articles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub slug: String,
        pub title: String,
        pub summary: String,
        pub easy_read_summary: Option<String>,
        pub body: String,
        pub search_text: String,
        pub status: String,
        pub published_at: Option<DateTimeUtc>,
        pub author_name: Option<String>,
        pub cover_url: Option<String>,
        pub cover_alt: Option<String>,
        pub cover_credit: Option<String>,
        pub media: String,
        pub tags: String,
        pub audiences: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
        pub review_requested_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

/// Who publishes an article (one or both publishers).
pub mod article_organization {
    use sea_orm::entity::prelude::*;

    /// A row of `article_organizations`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "article_organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub article_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        pub position: i64,
    }
    no_relations!();
}

/// Which categories of news an article is in.
pub mod article_category {
    use sea_orm::entity::prelude::*;

    /// A row of `article_categories`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "article_categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub article_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub category_id: Uuid,
        pub position: i64,
    }
    no_relations!();
}

/// Which neighbourhoods an article concerns.
pub mod article_neighborhood {
    use sea_orm::entity::prelude::*;

    /// A row of `article_neighborhoods`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "article_neighborhoods")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub article_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub neighborhood_id: Uuid,
    }
    no_relations!();
}

/// Events an article is about.
pub mod article_event {
    use sea_orm::entity::prelude::*;

    /// A row of `article_events`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "article_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub article_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: Uuid,
    }
    no_relations!();
}

/// Places an article is about.
pub mod article_place {
    use sea_orm::entity::prelude::*;

    /// A row of `article_places`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "article_places")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub article_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub place_id: Uuid,
    }
    no_relations!();
}

/// Slugs an item had before, which keep resolving to it.
pub mod slug_history {
    use sea_orm::entity::prelude::*;

    /// A row of `slug_history`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "slug_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub slug: String,
        pub item_id: Uuid,
        pub retired_at: DateTimeUtc,
    }
    no_relations!();
}

/// Versions of articles, one per editorial write.
pub mod article_revision {
    use sea_orm::entity::prelude::*;

    /// A row of `article_revisions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "article_revisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub article_id: Uuid,
        pub version: i64,
        pub title: String,
        pub summary: String,
        pub easy_read_summary: Option<String>,
        pub body: String,
        pub tags: String,
        pub audiences: String,
        pub status: String,
        pub author_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        /// The slugs of its categories, encoded `|slug|…|`, in order.
        pub categories: String,
    }
    no_relations!();
}

/// Every editorial write: who, when, what, for which organization.
pub mod audit_entry {
    use sea_orm::entity::prelude::*;

    /// A row of `audit_log`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub at: DateTimeUtc,
        pub actor_id: Option<Uuid>,
        pub actor: String,
        pub organization_id: Option<Uuid>,
        pub item_kind: String,
        pub item_id: Uuid,
        pub action: String,
        pub changes: String,
    }
    no_relations!();
}

/// Posts on social networks that announced an article or an event.
pub mod social_post {
    use sea_orm::entity::prelude::*;

    /// A row of `social_posts`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "social_posts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub item_kind: String,
        pub item_id: Uuid,
        pub network: String,
        pub url: String,
        pub posted_at: DateTimeUtc,
        pub recorded_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

/// Translations of the texts of events and places.
pub mod translation {
    use sea_orm::entity::prelude::*;

    /// A row of `translations`: one text of one item in one language.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "translations")]
    pub struct Model {
        /// `EVENT` or `PLACE`.
        pub item_kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub item_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub language: String,
        /// A `TranslatedField` code.
        #[sea_orm(primary_key, auto_increment = false)]
        pub field: String,
        pub text: String,
        /// The fingerprint of the original the text was translated from.
        pub source_fingerprint: String,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}
