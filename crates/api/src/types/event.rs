//! Events of the agenda and their dates, shown in UTC and in city time.

use async_graphql::{Context, Enum, ID, Json, Object, SimpleObject};
use capitole_domain::event::{AttendanceMode as DomainMode, EventStatus as DomainStatus};
use capitole_persistence::entities::{event, event_occurrence, place};
use capitole_persistence::events::{OccurrenceWindow, occurrence_status};
use chrono::{DateTime, Utc};

use super::accessibility::AccessibilityDetails;
use super::article::{SocialPostConnection, social_posts_of};
use super::catalog::{Category, Neighborhood, Organization};
use super::connection::{CountQuery, connection, edges, page_request};
use super::media::{Media, media_of};
use super::picture::{Picture, pictures_of};
use super::scalars::{Email, LocalDateTime, Url};
use super::translation::{Translation, localized, translations_of};
use super::{Accessibility, Audience, Place, TextFormat, accessibility_of, audiences_of};
use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{
    CategoriesOfEvent, NeighborhoodId, NextOccurrence, OccurrencePage, PlaceId, PublishersOfEvent,
};
use crate::open_data::jsonld;
use capitole_domain::translation::TranslatedField as Field;

/// Where an event stands as a whole.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::event::EventStatus")]
pub(crate) enum EventStatus {
    /// Going ahead as announced.
    Scheduled,
    /// Moved to new dates, which its occurrences show.
    Rescheduled,
    /// Put off to dates not yet known.
    Postponed,
    /// Now taking place online only.
    MovedOnline,
    /// No places left.
    Full,
    /// Not taking place.
    Cancelled,
}

/// Where one date of an event stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::schedule::OccurrenceStatus")]
pub(crate) enum OccurrenceStatus {
    /// Going ahead.
    Scheduled,
    /// No places left on this date.
    Full,
    /// This date is off; the others stand.
    Cancelled,
}

/// How people attend an event.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::event::AttendanceMode")]
pub(crate) enum AttendanceMode {
    /// At a venue.
    InPerson,
    /// Online only.
    Online,
    /// At a venue and online.
    Mixed,
}

/// An event of the city's agenda, with its venue when the page read it with the event
/// (holding the columns the page asked for only, see `types::columns`).
#[derive(Clone)]
pub(crate) struct Event(pub event::Model, Option<Box<place::Model>>);

impl Event {
    /// An event whose venue, if asked for, is loaded by its id.
    pub(crate) fn new(event: event::Model) -> Self {
        Self(event, None)
    }

    /// An event with the venue read with it.
    pub(crate) fn with_venue(event: event::Model, venue: Option<place::Model>) -> Self {
        Self(event, venue.map(Box::new))
    }

    /// The text of `field` in the language asked, and that language.
    async fn text(
        &self,
        ctx: &Context<'_>,
        field: Field,
        language: Option<String>,
    ) -> ApiResult<(String, String)> {
        let original = match field {
            Field::Title => &self.0.title,
            Field::Summary => &self.0.summary,
            Field::Description => &self.0.description,
            _ => self.0.easy_read_summary.as_deref().unwrap_or_default(),
        };
        localized(ctx, self.0.id, field, original, language).await
    }
}

/// The ages an event is meant for.
#[derive(SimpleObject, Clone)]
pub(crate) struct AgeRange {
    /// Youngest age, if any.
    pub min: Option<i32>,
    /// Oldest age, if any.
    pub max: Option<i32>,
}

/// How to register for an event.
#[derive(SimpleObject, Clone)]
pub(crate) struct Registration {
    /// Registration page.
    pub url: Option<Url>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<Email>,
}

/// An event of the city's agenda.
#[Object(cache_control(max_age = 60))]
impl Event {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Event, self.0.id)
    }
    /// The event as linked data: a schema.org `Event` in JSON-LD (status, attendance mode,
    /// dates in city time, venue with its position and address, price, organizers, each date
    /// of a series as a `subEvent`, licence), the same document as `/items/{id}.jsonld`. See
    /// docs/open-data.md#linked-data.
    async fn json_ld(&self, ctx: &Context<'_>) -> ApiResult<Json<serde_json::Value>> {
        let (state, scope) = jsonld::graph_context(ctx)?;
        jsonld::event(state, scope, &self.0)
            .await
            .map(Json)
            .map_err(to_gql)
    }
    /// Human identifier in URLs.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Title, in the language asked when it is translated (see `titleLanguage`).
    async fn title(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Title, language).await?.0)
    }
    /// The language `title` is given in.
    async fn title_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Title, language).await?.1)
    }
    /// One or two sentences, in the language asked when it is translated.
    async fn summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Summary, language).await?.0)
    }
    /// The language `summary` is given in.
    async fn summary_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Summary, language).await?.1)
    }
    /// The summary in easy-to-read language, when written, in the language asked when it is
    /// translated.
    async fn easy_read_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<Option<String>> {
        let (text, _) = self.text(ctx, Field::EasyReadSummary, language).await?;
        Ok(Some(text).filter(|t| !t.is_empty()))
    }
    /// The full description, in the language asked when it is translated (in plain text
    /// instead of Markdown when the request asks to save data, `Save-Data: on`).
    async fn description(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How to serve the text.", default)] format: TextFormat,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        let (text, _) = self.text(ctx, Field::Description, language).await?;
        Ok(format.render_for(ctx, &text))
    }
    /// The language `description` is given in.
    async fn description_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Description, language).await?.1)
    }
    /// Its texts in the city's other languages, each marked stale when its original changed
    /// since it was written.
    async fn translations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Translation>> {
        let originals = [
            (Field::Title, self.0.title.as_str()),
            (Field::Summary, self.0.summary.as_str()),
            (Field::Description, self.0.description.as_str()),
            (
                Field::EasyReadSummary,
                self.0.easy_read_summary.as_deref().unwrap_or_default(),
            ),
        ];
        translations_of(ctx, self.0.id, &originals).await
    }
    /// Its main picture, the first of `pictures`.
    async fn image(&self) -> Option<Picture> {
        pictures_of(&self.0.pictures).into_iter().next()
    }
    /// Its pictures, the main one first (at most 12).
    async fn pictures(&self) -> Vec<Picture> {
        pictures_of(&self.0.pictures)
    }
    /// Its videos, photos and albums: on the city's channels (Dailymotion, Flickr,
    /// Instagram, YouTube) with their players and previews, or on any https page.
    async fn media(&self) -> Vec<Media> {
        media_of(&self.0.media)
    }
    /// Its categories, most specific first.
    async fn categories(&self, ctx: &Context<'_>) -> ApiResult<Vec<Category>> {
        let categories = scope(ctx)?
            .load(CategoriesOfEvent(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(categories.into_iter().map(Category).collect())
    }
    /// Who it is meant for.
    async fn audiences(&self) -> Vec<Audience> {
        audiences_of(&self.0.audiences)
    }
    /// The ages it is meant for, when limited.
    async fn age_range(&self) -> Option<AgeRange> {
        let (min, max) = (self.0.age_min, self.0.age_max);
        (min.is_some() || max.is_some()).then(|| AgeRange {
            min: min.and_then(|a| i32::try_from(a).ok()),
            max: max.and_then(|a| i32::try_from(a).ok()),
        })
    }
    /// Who it is prepared for: its own statement, or its venue's when it states none (see
    /// `accessibilityDetails`). Filters and facets read this list.
    async fn accessibility(&self) -> Vec<Accessibility> {
        accessibility_of(&self.0.accessibility)
    }
    /// Its accessibility in detail: families, features and where they come from (the event
    /// itself, or its venue when it states none).
    async fn accessibility_details(&self) -> AccessibilityDetails {
        AccessibilityDetails::of_event(
            &self.0.accessibility,
            &self.0.accessibility_features,
            self.0.inherits_accessibility,
        )
    }
    /// Where it was announced on social networks, oldest first. The same page of the
    /// events of a list is read in one statement.
    async fn social_posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (the `endCursor` of the page before).")]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
    ) -> ApiResult<SocialPostConnection> {
        social_posts_of(ctx, self.0.id, (first, after, last, before)).await
    }
    /// Whether it costs nothing.
    async fn is_free(&self) -> bool {
        self.0.is_free
    }
    /// Prices, as the organiser words them.
    async fn price(&self) -> Option<&str> {
        self.0.price.as_deref()
    }
    /// How to register, when registration is needed.
    async fn registration(&self) -> Option<Registration> {
        let e = &self.0;
        (e.registration_url.is_some()
            || e.registration_phone.is_some()
            || e.registration_email.is_some())
        .then(|| Registration {
            url: e.registration_url.clone().map(Url),
            phone: e.registration_phone.clone(),
            email: e.registration_email.clone().map(Email),
        })
    }
    /// How people attend.
    async fn attendance_mode(&self) -> AttendanceMode {
        DomainMode::from_code(&self.0.attendance_mode)
            .unwrap_or(DomainMode::InPerson)
            .into()
    }
    /// Where to follow it online.
    async fn online_url(&self) -> Option<Url> {
        self.0.online_url.as_deref().map(Url::from)
    }
    /// Where it stands as a whole.
    async fn status(&self) -> EventStatus {
        DomainStatus::from_code(&self.0.status)
            .unwrap_or(DomainStatus::Scheduled)
            .into()
    }
    /// The place it happens at, if it has one.
    async fn venue(&self, ctx: &Context<'_>) -> ApiResult<Option<Place>> {
        if let Some(venue) = &self.1 {
            return Ok(Some(Place(venue.as_ref().clone())));
        }
        let Some(id) = self.0.place_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?.load(PlaceId(id)).await?.map(Place))
    }
    /// Where it happens, in words, when it has no venue.
    async fn location_text(&self) -> Option<&str> {
        self.0.location_text.as_deref()
    }
    /// Who publishes it: the organizations that organise it, in order (one or several: the
    /// city and the metropolitan authority may co-publish an event).
    async fn publishers(&self, ctx: &Context<'_>) -> ApiResult<Vec<Organization>> {
        let publishers = scope(ctx)?.load(PublishersOfEvent(self.0.id)).await?;
        Ok(publishers
            .unwrap_or_default()
            .into_iter()
            .map(Organization)
            .collect())
    }
    /// Its RFC 5545 recurrence rule, for recurring events.
    async fn recurrence_rule(&self) -> Option<&str> {
        self.0.recurrence_rule.as_deref()
    }
    /// The neighbourhoods it concerns.
    async fn neighborhoods(&self, ctx: &Context<'_>) -> ApiResult<Vec<Neighborhood>> {
        let scope = scope(ctx)?;
        let ids = scope
            .load(crate::loaders::NeighborhoodsOfEvent(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(scope
            .load_all(ids.into_iter().map(NeighborhoodId).collect())
            .await?
            .into_iter()
            .map(Neighborhood)
            .collect())
    }
    /// The version editors edit (it goes up with every change).
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// When its content, status or dates last changed (an offline copy compares it with its own).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The system the event is synchronised from, when another system owns it.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// Its id in that system.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// Its next date that is not cancelled.
    async fn next_occurrence(&self, ctx: &Context<'_>) -> ApiResult<Option<Occurrence>> {
        Ok(scope(ctx)?
            .load(NextOccurrence(self.0.id))
            .await?
            .map(Occurrence))
    }
    /// Its dates, cancelled ones included, earliest first.
    #[expect(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments: the four of paging and a window"
    )]
    async fn occurrences(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (the `endCursor` of the page before).")]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
        #[graphql(desc = "Only dates starting at or after this instant.")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "Only dates starting before this instant.")] to: Option<DateTime<Utc>>,
    ) -> ApiResult<OccurrenceConnection> {
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(to_gql(ApiError::bad_input("`to` is before `from`")));
        }
        let window = OccurrenceWindow { from, to };
        let key = OccurrencePage {
            event_id: self.0.id,
            window,
            request,
        };
        let page = scope(ctx)?
            .load(key)
            .await?
            .unwrap_or_else(capitole_persistence::Page::empty);
        let (edges, page_info) = edges(page, |o, cursor| OccurrenceEdge {
            cursor,
            node: Occurrence(o),
        });
        Ok(OccurrenceConnection {
            edges,
            page_info,
            count: CountQuery::Occurrences(self.0.id, window),
        })
    }
}

/// One date of an event.
#[derive(Clone)]
pub(crate) struct Occurrence(pub event_occurrence::Model);

/// One date of an event.
#[Object]
impl Occurrence {
    /// How many people said they are going.
    async fn attendee_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(scope(ctx)?
            .load(crate::loaders::AttendeesOf(self.0.id))
            .await?
            .unwrap_or(0))
    }
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Occurrence, self.0.id)
    }
    /// When it starts (UTC).
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// When it ends (UTC).
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// When it starts, in city time with the offset in force then
    /// (`2026-12-05T10:00:00+01:00`).
    async fn local_starts_at(&self, ctx: &Context<'_>) -> ApiResult<LocalDateTime> {
        Ok(LocalDateTime::of(self.0.starts_at, &scope(ctx)?.timezone))
    }
    /// When it ends, in city time with the offset in force then.
    async fn local_ends_at(&self, ctx: &Context<'_>) -> ApiResult<LocalDateTime> {
        Ok(LocalDateTime::of(self.0.ends_at, &scope(ctx)?.timezone))
    }
    /// Where this date stands.
    async fn status(&self) -> OccurrenceStatus {
        occurrence_status(&self.0).into()
    }
}

/// A date in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct OccurrenceEdge {
    /// The cursor of this date in the list.
    pub cursor: String,
    /// The date.
    pub node: Occurrence,
}

connection!(
    /// A page of dates, earliest first.
    OccurrenceConnection, OccurrenceEdge, Occurrence
);

/// An event in the agenda, with the date that placed it there.
#[derive(SimpleObject, Clone)]
pub(crate) struct EventEdge {
    /// The cursor of this event in the list.
    pub cursor: String,
    /// The event.
    pub node: Event,
    /// Its first date matching the filter (cancelled dates never match).
    pub occurrence: Occurrence,
    /// Metres from the point of the filter's `near` to its venue, when the filter has one.
    pub distance_meters: Option<f64>,
}

connection!(
    /// A page of the agenda.
    EventConnection, EventEdge, Event,
    /// How many events of the whole list each category, neighbourhood, audience,
    /// accessibility need, price and day holds, each counted under every condition of the
    /// filter but its own.
    facets: crate::types::facets::EventFacets
);
