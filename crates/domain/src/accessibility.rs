//! What an event or a place says of its accessibility: the families of needs it is prepared
//! for (France's "Tourisme & Handicap" families: hearing, visual, motor, intellectual,
//! psychic) and the features that prepare it (a step-free entrance, an induction loop, sign
//! language, ...), each feature belonging to one family. An event without a statement of its
//! own takes its venue's.

use std::collections::BTreeSet;

use crate::agenda::set_of;
use crate::coded_enum;
use crate::editorial::FieldErrors;
use crate::event::Accessibility;

coded_enum! {
    /// A provision that prepares a place or an event for people with a disability, named
    /// after schema.org's `accessibilityFeature` vocabulary where it has a term.
    pub enum AccessibilityFeature {
        /// The entrance has no step, or a ramp or a lift (motor).
        StepFreeEntrance = "STEP_FREE_ENTRANCE",
        /// Toilets a wheelchair user can use (motor).
        AccessibleToilets = "ACCESSIBLE_TOILETS",
        /// Parking spaces kept for disabled people nearby (motor).
        AccessibleParking = "ACCESSIBLE_PARKING",
        /// An induction loop for hearing aids (hearing).
        InductionLoop = "INDUCTION_LOOP",
        /// Sessions interpreted in sign language (hearing; schema.org `signLanguage`).
        SignLanguage = "SIGN_LANGUAGE",
        /// Captions or surtitles (hearing; schema.org `captions`).
        Captions = "CAPTIONS",
        /// Audio description (visual; schema.org `audioDescription`).
        AudioDescription = "AUDIO_DESCRIPTION",
        /// Documents in braille (visual; schema.org `braille`).
        Braille = "BRAILLE",
        /// Documents in large print (visual; schema.org `largePrint`).
        LargePrint = "LARGE_PRINT",
        /// Objects or models that may be touched (visual; schema.org `tactileObject`).
        TactileObjects = "TACTILE_OBJECTS",
        /// Documents in easy-to-read language (intellectual).
        EasyRead = "EASY_READ",
        /// A quiet room to step aside (psychic).
        QuietSpace = "QUIET_SPACE",
        /// Relaxed sessions: softer light and sound, moving about allowed (psychic).
        RelaxedSessions = "RELAXED_SESSIONS",
    }
}

impl AccessibilityFeature {
    /// The family of needs this feature serves.
    pub fn family(self) -> Accessibility {
        use AccessibilityFeature as F;
        match self {
            F::StepFreeEntrance | F::AccessibleToilets | F::AccessibleParking => {
                Accessibility::Motor
            }
            F::InductionLoop | F::SignLanguage | F::Captions => Accessibility::Hearing,
            F::AudioDescription | F::Braille | F::LargePrint | F::TactileObjects => {
                Accessibility::Visual
            }
            F::EasyRead => Accessibility::Intellectual,
            F::QuietSpace | F::RelaxedSessions => Accessibility::Psychic,
        }
    }

    /// Its term in schema.org's `accessibilityFeature` vocabulary, where there is one.
    pub fn schema_org(self) -> Option<&'static str> {
        use AccessibilityFeature as F;
        match self {
            F::SignLanguage => Some("signLanguage"),
            F::Captions => Some("captions"),
            F::AudioDescription => Some("audioDescription"),
            F::Braille => Some("braille"),
            F::LargePrint => Some("largePrint"),
            F::TactileObjects => Some("tactileObject"),
            _ => None,
        }
    }

    /// What documents call it, in English.
    pub fn name(self) -> &'static str {
        use AccessibilityFeature as F;
        match self {
            F::StepFreeEntrance => "Step-free entrance",
            F::AccessibleToilets => "Accessible toilets",
            F::AccessibleParking => "Accessible parking",
            F::InductionLoop => "Induction loop",
            F::SignLanguage => "Sign language",
            F::Captions => "Captions",
            F::AudioDescription => "Audio description",
            F::Braille => "Braille",
            F::LargePrint => "Large print",
            F::TactileObjects => "Tactile objects",
            F::EasyRead => "Easy-to-read documents",
            F::QuietSpace => "Quiet space",
            F::RelaxedSessions => "Relaxed sessions",
        }
    }
}

/// What an item states of its accessibility: the families are those given and those of the
/// features, so that a filter on a family finds every item with one of its features.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessibilityStatement {
    families: BTreeSet<Accessibility>,
    features: BTreeSet<AccessibilityFeature>,
}

impl AccessibilityStatement {
    /// The statement of these families and features (the features' families added).
    pub fn new(
        families: impl IntoIterator<Item = Accessibility>,
        features: impl IntoIterator<Item = AccessibilityFeature>,
    ) -> Self {
        let features: BTreeSet<_> = features.into_iter().collect();
        let mut families: BTreeSet<_> = families.into_iter().collect();
        families.extend(features.iter().map(|f| f.family()));
        Self { families, features }
    }

    /// The families of needs the item is prepared for.
    pub fn families(&self) -> &BTreeSet<Accessibility> {
        &self.families
    }

    /// The features that prepare it.
    pub fn features(&self) -> &BTreeSet<AccessibilityFeature> {
        &self.features
    }

    /// Whether it says nothing.
    pub fn is_empty(&self) -> bool {
        self.families.is_empty() && self.features.is_empty()
    }
}

/// A change to what an item states, as a form gives it: new families, new features, both
/// or neither (each list given replaces its own and keeps the other).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AccessibilityChange {
    families: Option<BTreeSet<Accessibility>>,
    features: Option<BTreeSet<AccessibilityFeature>>,
}

impl AccessibilityChange {
    /// Checks the lists given (`accessibility`, `accessibilityFeatures`).
    pub(crate) fn check(
        errors: &mut FieldErrors,
        families: Option<Vec<Accessibility>>,
        features: Option<Vec<AccessibilityFeature>>,
    ) -> Self {
        Self {
            families: families
                .and_then(|a| set_of(errors, "accessibility", &a, Accessibility::ALL)),
            features: features.and_then(|f| {
                set_of(
                    errors,
                    "accessibilityFeatures",
                    &f,
                    AccessibilityFeature::ALL,
                )
            }),
        }
    }

    /// `current` with this change made.
    pub(crate) fn onto(self, current: &AccessibilityStatement) -> AccessibilityStatement {
        AccessibilityStatement::new(
            self.families.unwrap_or_else(|| current.families.clone()),
            self.features.unwrap_or_else(|| current.features.clone()),
        )
    }
}

coded_enum! {
    /// Where the accessibility an item shows comes from.
    pub enum AccessibilitySource {
        /// The item states its own.
        Stated = "STATED",
        /// The event states none and shows its venue's.
        Venue = "VENUE",
        /// Nothing is known: the event states none and its venue (if any) says nothing.
        Unknown = "UNKNOWN",
    }
}

impl AccessibilitySource {
    /// Where an event's accessibility comes from: `inherits` when it states none, `shown` the
    /// accessibility it shows.
    pub fn of_event(inherits: bool, shown: &AccessibilityStatement) -> Self {
        match (inherits, shown.is_empty()) {
            (false, _) => Self::Stated,
            (true, false) => Self::Venue,
            (true, true) => Self::Unknown,
        }
    }

    /// Where a place's accessibility comes from: itself, unless it says nothing.
    pub fn of_place(shown: &AccessibilityStatement) -> Self {
        if shown.is_empty() {
            Self::Unknown
        } else {
            Self::Stated
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_bring_their_family_along() {
        let statement = AccessibilityStatement::new(
            [Accessibility::Visual],
            [
                AccessibilityFeature::StepFreeEntrance,
                AccessibilityFeature::InductionLoop,
            ],
        );
        assert_eq!(
            statement.families().iter().copied().collect::<Vec<_>>(),
            [
                Accessibility::Hearing,
                Accessibility::Visual,
                Accessibility::Motor
            ]
        );
        assert_eq!(statement.features().len(), 2);
    }

    #[test]
    fn every_family_has_a_feature() {
        for family in Accessibility::ALL {
            assert!(
                AccessibilityFeature::ALL
                    .iter()
                    .any(|f| f.family() == *family),
                "{family}"
            );
        }
    }

    #[test]
    fn an_event_stating_nothing_shows_where_its_accessibility_comes_from() {
        let venue = AccessibilityStatement::new([], [AccessibilityFeature::StepFreeEntrance]);
        let nothing = AccessibilityStatement::default();
        assert_eq!(
            AccessibilitySource::of_event(true, &venue),
            AccessibilitySource::Venue
        );
        assert_eq!(
            AccessibilitySource::of_event(true, &nothing),
            AccessibilitySource::Unknown
        );
        assert_eq!(
            AccessibilitySource::of_event(false, &nothing),
            AccessibilitySource::Stated
        );
        assert_eq!(
            AccessibilitySource::of_place(&nothing),
            AccessibilitySource::Unknown
        );
    }
}
