//! Accessibility as the graph shows it: the families of needs (`Accessibility`), the
//! features that serve them, and where an item's accessibility comes from.

use async_graphql::{Enum, SimpleObject};
use capitole_domain::accessibility::{self as domain, AccessibilityStatement};
use capitole_persistence::accessibility::decode;

use super::{Accessibility, accessibility_of};

/// A provision that prepares a place or an event for disabled people, named after
/// schema.org's `accessibilityFeature` vocabulary where it has a term. Each serves one
/// family of needs, which an item with the feature is prepared for.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::accessibility::AccessibilityFeature")]
pub(crate) enum AccessibilityFeature {
    /// The entrance has no step, or a ramp or a lift (`MOTOR`).
    StepFreeEntrance,
    /// Toilets a wheelchair user can use (`MOTOR`).
    AccessibleToilets,
    /// Parking spaces kept for disabled people nearby (`MOTOR`).
    AccessibleParking,
    /// An induction loop for hearing aids (`HEARING`).
    InductionLoop,
    /// Sessions interpreted in sign language (`HEARING`; schema.org `signLanguage`).
    SignLanguage,
    /// Captions or surtitles (`HEARING`; schema.org `captions`).
    Captions,
    /// Audio description (`VISUAL`; schema.org `audioDescription`).
    AudioDescription,
    /// Documents in braille (`VISUAL`; schema.org `braille`).
    Braille,
    /// Documents in large print (`VISUAL`; schema.org `largePrint`).
    LargePrint,
    /// Objects or models that may be touched (`VISUAL`; schema.org `tactileObject`).
    TactileObjects,
    /// Documents in easy-to-read language (`INTELLECTUAL`).
    EasyRead,
    /// A quiet room to step aside (`PSYCHIC`).
    QuietSpace,
    /// Relaxed sessions: softer light and sound, moving about allowed (`PSYCHIC`).
    RelaxedSessions,
}

/// Where the accessibility an item shows comes from.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::accessibility::AccessibilitySource")]
pub(crate) enum AccessibilitySource {
    /// The item states its own.
    Stated,
    /// The event states none and shows its venue's (changes to the venue reach it).
    Venue,
    /// Nothing is known: the item states nothing (and an event's venue, if any, neither).
    /// It does not mean that the item is not accessible.
    Unknown,
}

/// What an event or a place shows of its accessibility, and where it comes from.
#[derive(SimpleObject)]
pub(crate) struct AccessibilityDetails {
    /// Where it comes from.
    source: AccessibilitySource,
    /// The families of needs it is prepared for: those stated and those of its features
    /// (the same list as the item's `accessibility`).
    families: Vec<Accessibility>,
    /// The features that prepare it, in the order of the `AccessibilityFeature` enum.
    features: Vec<AccessibilityFeature>,
}

impl AccessibilityDetails {
    /// The details of an event, from its stored columns.
    pub(crate) fn of_event(families: &str, features: &str, inherits: bool) -> Self {
        let shown = decode(families, features);
        Self::new(
            domain::AccessibilitySource::of_event(inherits, &shown),
            families,
            &shown,
        )
    }

    /// The details of a place, from its stored columns.
    pub(crate) fn of_place(families: &str, features: &str) -> Self {
        let shown = decode(families, features);
        Self::new(
            domain::AccessibilitySource::of_place(&shown),
            families,
            &shown,
        )
    }

    fn new(
        source: domain::AccessibilitySource,
        families: &str,
        shown: &AccessibilityStatement,
    ) -> Self {
        Self {
            source: source.into(),
            families: accessibility_of(families),
            features: shown.features().iter().map(|&f| f.into()).collect(),
        }
    }
}
