//! Places: venues with categories, location, contact, opening hours and upcoming events.

use async_graphql::{ComplexObject, Context, ID, Json, Object, SimpleObject};
use capitole_domain::agenda::PlaceClosure as DomainClosure;
use capitole_domain::opening_hours::{OpeningHours as DomainHours, notes_of, notes_text};
use capitole_persistence::Page;
use capitole_persistence::events::{self, EventFilter};
use capitole_persistence::places::opening_hours;

use super::accessibility::AccessibilityDetails;
use super::article::{SocialPostConnection, social_posts_of};
use super::catalog::{Category, Neighborhood, Organization};
use super::columns;
use super::community::{Mayor, PlaceStats, TipConnection, mayor_of, tips_of};
use super::connection::{CountQuery, connection, edges, page_request};
use super::event::{Event, EventConnection, EventEdge, Occurrence};
use super::facets::{Asked, EventFacets};
use super::media::{Media, media_of};
use super::picture::{Picture, pictures_of};
use super::scalars::{Date, Email, LocalTime, Url};
use super::translation::{Translation, localized, text_in, translations_of};
use super::{Accessibility, Contact, Location, accessibility_of};
use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{
    CategoriesOfPlace, NeighborhoodId, PublishersOfPlace, UPCOMING_PER_PLACE, UpcomingAtPlace,
};
use crate::open_data::jsonld;
use capitole_domain::translation::TranslatedField as Field;
use uuid::Uuid;

// `Place` itself is declared in the parent module (which says why); its fields are here.
pub(crate) use super::Place;

/// Whether a place receives visitors.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::agenda::PlaceClosure")]
pub(crate) enum PlaceClosure {
    /// Open as its hours say.
    Open,
    /// Closed for a while; `closedUntil` says until when, if known.
    TemporarilyClosed,
    /// Closed for good.
    PermanentlyClosed,
}

/// A day of the week.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::opening_hours::DayOfWeek")]
pub(crate) enum DayOfWeek {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

/// One opening range on a weekday, in city time; when `closes` is not after `opens` it runs
/// past midnight.
#[derive(SimpleObject, Clone)]
pub(crate) struct WeeklyOpening {
    /// The day it opens.
    pub day: DayOfWeek,
    /// When it opens.
    pub opens: LocalTime,
    /// When it closes (the next day when not after `opens`).
    pub closes: LocalTime,
}

/// One opening range of a date, in city time; when `closes` is not after `opens` it runs
/// past midnight.
#[derive(SimpleObject, Clone)]
pub(crate) struct TimeRange {
    /// When it opens.
    pub opens: LocalTime,
    /// When it closes (the next day when not after `opens`).
    pub closes: LocalTime,
}

/// Hours on a date that differ from the weekly ones; no ranges means closed all day.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct OpeningException {
    /// The date, in the city's calendar.
    pub date: Date,
    /// The ranges it opens in on that date, replacing the weekday's.
    pub ranges: Vec<TimeRange>,
    /// The place whose hours these are.
    #[graphql(skip)]
    pub place: Uuid,
    /// The note as written, in the city's language.
    #[graphql(skip)]
    pub original_note: Option<String>,
}

#[ComplexObject]
impl OpeningException {
    /// Why (bank holiday, works…), in the language asked when it is translated (see
    /// `noteLanguage`).
    async fn note(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<Option<String>> {
        Ok(self.note_in(ctx, language).await?.map(|(note, _)| note))
    }
    /// The language `note` is given in.
    async fn note_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<Option<String>> {
        Ok(self
            .note_in(ctx, language)
            .await?
            .map(|(_, language)| language))
    }
}

impl OpeningException {
    /// The note in the language asked, along the graph's fallback chain, and that language.
    async fn note_in(
        &self,
        ctx: &Context<'_>,
        language: Option<String>,
    ) -> ApiResult<Option<(String, String)>> {
        let Some(original) = &self.original_note else {
            return Ok(None);
        };
        let (notes, language) = text_in(
            ctx,
            self.place,
            Field::OpeningHoursNotes,
            original,
            language.as_deref(),
        )
        .await?;
        // The original is one note; a translation holds the notes of every date, and one
        // that lacks this date gives the original.
        let city = scope(ctx)?.languages.city();
        if language == *city {
            return Ok(Some((notes, language.code().to_owned())));
        }
        Ok(Some(match notes_of(&notes).remove(&self.date.0) {
            Some(note) => (note, language.code().to_owned()),
            None => (original.clone(), city.code().to_owned()),
        }))
    }
}

/// When a place is open.
#[derive(SimpleObject, Clone)]
pub(crate) struct OpeningHours {
    /// The usual week.
    pub weekly: Vec<WeeklyOpening>,
    /// Dates that differ from the usual week.
    pub exceptions: Vec<OpeningException>,
}

impl OpeningHours {
    /// The hours of the place `place`.
    fn of(place: Uuid, hours: DomainHours) -> Self {
        OpeningHours {
            weekly: hours
                .weekly
                .iter()
                .map(|r| WeeklyOpening {
                    day: DayOfWeek::from(r.day),
                    opens: LocalTime(r.opens),
                    closes: LocalTime(r.closes),
                })
                .collect(),
            exceptions: hours
                .exceptions
                .into_iter()
                .map(|e| OpeningException {
                    date: Date(e.date),
                    ranges: e
                        .ranges
                        .iter()
                        .map(|r| TimeRange {
                            opens: LocalTime(r.opens),
                            closes: LocalTime(r.closes),
                        })
                        .collect(),
                    place,
                    original_note: e.note,
                })
                .collect(),
        }
    }
}

impl Place {
    /// The text of `field` in the language asked, and that language.
    async fn text(
        &self,
        ctx: &Context<'_>,
        field: Field,
        language: Option<String>,
    ) -> ApiResult<(String, String)> {
        let original = match field {
            Field::Name => &self.0.name,
            Field::Description => &self.0.description,
            _ => self.0.easy_read_summary.as_deref().unwrap_or_default(),
        };
        localized(ctx, self.0.id, field, original, language).await
    }
}

/// A place of the city: a museum, a market, a pool, a park, a café…
///
/// Its fields are resolved in `place.rs`. It is declared here because events, tips and
/// check-ins point at their place while a place lists its events, tips and mayor: the files
/// of both sides import this one instead of each other.
#[Object]
impl Place {
    /// Its public figures: check-ins, visitors, tips, likes, rating, people here now.
    async fn stats(&self, ctx: &Context<'_>) -> PlaceStats {
        PlaceStats {
            place_id: self.0.id,
            here_now: ctx.look_ahead().field("hereNow").exists(),
        }
    }
    /// Tips, latest first (hidden ones never show). The first page of up to 20 is read
    /// with the other places of a list in one statement.
    async fn tips(
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
    ) -> ApiResult<TipConnection> {
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        tips_of(ctx, self.0.id, request).await
    }
    /// Who checked in here on the most days in the last 60, among the people who share
    /// their check-ins and do not hide from mayorships; null when nobody did.
    async fn mayor(&self, ctx: &Context<'_>) -> ApiResult<Option<Mayor>> {
        mayor_of(ctx, self.0.id).await
    }
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Place, self.0.id)
    }
    /// The place as linked data: a schema.org `Place`, or the subtype its categories call for
    /// (`Museum`, `Library`, `Park`…), in JSON-LD (position, address, opening hours with their
    /// exceptions, accessibility, licence), the same document as `/items/{id}.jsonld`. See
    /// docs/open-data.md#linked-data.
    async fn json_ld(&self, ctx: &Context<'_>) -> ApiResult<Json<serde_json::Value>> {
        let (state, scope) = jsonld::graph_context(ctx)?;
        jsonld::place(state, scope, &self.0)
            .await
            .map(Json)
            .map_err(to_gql)
    }
    /// Human identifier in URLs.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Name, in the language asked when it is translated (see `nameLanguage`).
    async fn name(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Name, language).await?.0)
    }
    /// The language `name` is given in.
    async fn name_language(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Name, language).await?.1)
    }
    /// A short presentation, in the language asked when it is translated.
    async fn description(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The language wanted (ISO 639 code: `en`); by default the request's `Accept-Language`."
        )]
        language: Option<String>,
    ) -> ApiResult<String> {
        Ok(self.text(ctx, Field::Description, language).await?.0)
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
    /// The place in short sentences and plain words, for readers who find the description
    /// hard (easy-to-read), when one is written, in the language asked when it is
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
    /// Its texts in the city's other languages, each marked stale when its original changed
    /// since it was written.
    async fn translations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Translation>> {
        let originals = [
            (Field::Name, self.0.name.as_str()),
            (Field::Description, self.0.description.as_str()),
            (
                Field::EasyReadSummary,
                self.0.easy_read_summary.as_deref().unwrap_or_default(),
            ),
            (
                Field::OpeningHoursNotes,
                &notes_text(&opening_hours(&self.0)),
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
            .load(CategoriesOfPlace(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(categories.into_iter().map(Category).collect())
    }
    /// Where it is.
    async fn location(&self) -> Location {
        Location {
            latitude: self.0.latitude,
            longitude: self.0.longitude,
            address: self.0.address.clone(),
            postal_code: self.0.postal_code.clone(),
            city: self.0.city.clone(),
        }
    }
    /// The neighbourhood it is in.
    async fn neighborhood(&self, ctx: &Context<'_>) -> ApiResult<Option<Neighborhood>> {
        let Some(id) = self.0.neighborhood_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?
            .load(NeighborhoodId(id))
            .await?
            .map(Neighborhood))
    }
    /// How to reach it.
    async fn contact(&self) -> Contact {
        Contact {
            phone: self.0.phone.clone(),
            email: self.0.email.clone().map(Email),
            website: self.0.website.clone().map(Url),
        }
    }
    /// When it is open.
    async fn opening_hours(&self) -> OpeningHours {
        OpeningHours::of(self.0.id, opening_hours(&self.0))
    }
    /// Whether it is open now, in city time: never while it is closed.
    async fn is_open_now(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let scope = scope(ctx)?;
        Ok(capitole_persistence::places::is_open_at(
            &self.0,
            scope.now,
            scope.timezone,
        ))
    }
    /// Whether it receives visitors (opening hours apply only while it is `OPEN`).
    async fn closure(&self, ctx: &Context<'_>) -> ApiResult<PlaceClosure> {
        let scope = scope(ctx)?;
        let closure = DomainClosure::from_code(&self.0.closure).unwrap_or(DomainClosure::Open);
        // A temporary closure whose end has passed is over.
        if closure == DomainClosure::TemporarilyClosed
            && !closure.is_closed_at(self.0.closed_until, scope.now)
        {
            return Ok(PlaceClosure::Open);
        }
        Ok(closure.into())
    }
    /// When a temporary closure ends, if known.
    async fn closed_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        (self.0.closure == DomainClosure::TemporarilyClosed.code())
            .then_some(self.0.closed_until)
            .flatten()
    }
    /// The version editors edit (it goes up with every change).
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// When its content, hours or closure last changed (an offline copy compares it with its own).
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
    /// The system the place is synchronised from, when another system owns it.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// Its id in that system.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// Who it is prepared for.
    async fn accessibility(&self) -> Vec<Accessibility> {
        accessibility_of(&self.0.accessibility)
    }
    /// Its accessibility in detail: families and features. Events held here that state none
    /// of their own show it.
    async fn accessibility_details(&self) -> AccessibilityDetails {
        AccessibilityDetails::of_place(&self.0.accessibility, &self.0.accessibility_features)
    }
    /// Where it was announced on social networks, oldest first. The same page of the
    /// places of a list is read in one statement.
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
    /// Who publishes it: the public bodies that run it, in order (one or several; none for
    /// places neither the city nor the metropolitan authority runs).
    async fn publishers(&self, ctx: &Context<'_>) -> ApiResult<Vec<Organization>> {
        let publishers = scope(ctx)?.load(PublishersOfPlace(self.0.id)).await?;
        Ok(publishers
            .unwrap_or_default()
            .into_iter()
            .map(Organization)
            .collect())
    }
    /// How much it is visited, 0 and up: the place's standing plus its check-ins. New
    /// check-ins count in within the scheduler's interval (15 s by default); `stats`
    /// counts them at once.
    async fn popularity(&self) -> i64 {
        self.0.popularity
    }
    /// Its next events, soonest first, each with its next date on its edge. The first
    /// page of up to 20 is read with the other places of a list in one statement.
    async fn upcoming_events(
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
    ) -> ApiResult<EventConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let filter = EventFilter {
            venues: vec![self.0.id],
            ..EventFilter::from(scope.now)
        };
        let page = if request.is_first_page() && request.size <= UPCOMING_PER_PLACE {
            let rows = scope
                .load(UpcomingAtPlace(self.0.id))
                .await?
                .unwrap_or_default();
            Page::from_rows(rows, &request, events::agenda_cursor)
        } else {
            events::list(&scope.db, &filter, &request, columns::of_agenda(ctx))
                .await
                .map_err(to_gql)?
        };
        let (edges, page_info) = edges(page, |row, cursor| EventEdge {
            cursor,
            node: Event::with_venue(row.event, row.venue),
            occurrence: Occurrence(row.occurrence),
            distance_meters: None,
        });
        Ok(EventConnection {
            edges,
            page_info,
            facets: EventFacets::new(
                filter.clone(),
                scope.now.with_timezone(&scope.timezone).date_naive(),
                Asked::of(&ctx.look_ahead().field("facets")),
            ),
            count: CountQuery::Events(Box::new(filter)),
        })
    }
}

/// A place in a list, with its distance when the list is measured from a point.
#[derive(SimpleObject, Clone)]
pub(crate) struct PlaceEdge {
    /// The cursor of this place in the list.
    pub cursor: String,
    /// The place.
    pub node: Place,
    /// Metres from the filter's `near` point (great-circle), when the filter has one.
    pub distance_meters: Option<f64>,
}

connection!(
    /// A page of places.
    PlaceConnection, PlaceEdge, Place,
    /// How many places of the whole list each category, neighbourhood and accessibility need
    /// holds, each counted under every condition of the filter but its own.
    facets: crate::types::facets::PlaceFacets
);
