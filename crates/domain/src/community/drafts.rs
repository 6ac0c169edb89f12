//! What residents write, as typed values that can only be built by parsing: a check-in's
//! message and idempotency key, a tip's text, a report's reason. A draft parses all its
//! fields at once and reports every failed one, named as the input names it.

use crate::editorial::{FieldErrors, Lines, check_text};

use super::{CHECK_IN_MESSAGE_MAX, IDEMPOTENCY_KEY_MAX, REPORT_REASON_MAX, TIP_MAX, TIP_MIN};

/// A text that is absent when left out or blank.
fn written(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Runs `check` and keeps its value only if it noted no error.
fn checked<T>(errors: &mut FieldErrors, check: impl FnOnce(&mut FieldErrors) -> T) -> Option<T> {
    let before = errors.fields().len();
    let value = check(errors);
    (errors.fields().len() == before).then_some(value)
}

/// The short message left with a check-in: one trimmed line of 1 to
/// [`CHECK_IN_MESSAGE_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInMessage(String);

impl CheckInMessage {
    /// Checks a message given in the input field `field`; `None`, with the field's errors
    /// noted, when it fails.
    pub fn parse(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Self> {
        checked(errors, |errors| {
            Self(check_text(
                errors,
                field,
                text,
                1,
                CHECK_IN_MESSAGE_MAX,
                Lines::Single,
            ))
        })
    }

    /// The message.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key that makes a retried check-in return the first one: 1 to
/// [`IDEMPOTENCY_KEY_MAX`] visible ASCII characters, kept exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a key given in the input field `field`; `None`, with the field's error noted,
    /// when it fails.
    pub fn parse(errors: &mut FieldErrors, field: &str, key: &str) -> Option<Self> {
        if key.is_empty()
            || key.len() > IDEMPOTENCY_KEY_MAX
            || !key.bytes().all(|b| b.is_ascii_graphic())
        {
            errors.add(
                field,
                format!(
                    "has 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters (a UUID is a good key)"
                ),
            );
            return None;
        }
        Some(Self(key.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person sends with a check-in, besides the place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInDraft {
    /// The message, if any (a blank one is none).
    pub message: Option<CheckInMessage>,
    /// The request's idempotency key, if any.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl CheckInDraft {
    /// Checks the fields `message` and `idempotencyKey`.
    pub fn parse(
        message: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let message = written(message).map(|m| CheckInMessage::parse(&mut errors, "message", m));
        let idempotency_key =
            idempotency_key.map(|k| IdempotencyKey::parse(&mut errors, "idempotencyKey", k));
        errors.into_result(())?;
        Ok(Self {
            message: message.flatten(),
            idempotency_key: idempotency_key.flatten(),
        })
    }
}

/// A tip's text: [`TIP_MIN`] to [`TIP_MAX`] characters, trimmed, line breaks allowed and no
/// other control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipText(String);

impl TipText {
    /// Checks a text given in the input field `field`; `None`, with the field's errors
    /// noted, when it fails.
    pub fn parse(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Self> {
        checked(errors, |errors| {
            Self(check_text(
                errors,
                field,
                text,
                TIP_MIN,
                TIP_MAX,
                Lines::Multiple,
            ))
        })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tip a person leaves on a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipDraft {
    /// What it says.
    pub text: TipText,
}

impl TipDraft {
    /// Checks the field `text`.
    pub fn parse(text: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let text = TipText::parse(&mut errors, "text", text);
        match text {
            Some(text) => Ok(Self { text }),
            None => Err(errors),
        }
    }
}

/// Why a person reports a tip: up to [`REPORT_REASON_MAX`] characters, trimmed, line
/// breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportReason(String);

impl ReportReason {
    /// Checks a reason given in the input field `field`; `None`, with the field's errors
    /// noted, when it fails.
    pub fn parse(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Self> {
        checked(errors, |errors| {
            Self(check_text(
                errors,
                field,
                text,
                1,
                REPORT_REASON_MAX,
                Lines::Multiple,
            ))
        })
    }

    /// The reason.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's report of a tip to the moderators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipReport {
    /// Why, if they said (a blank reason is none).
    pub reason: Option<ReportReason>,
}

impl TipReport {
    /// Checks the field `reason`.
    pub fn parse(reason: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let reason = written(reason).map(|r| ReportReason::parse(&mut errors, "reason", r));
        errors.into_result(())?;
        Ok(Self {
            reason: reason.flatten(),
        })
    }
}

/// A person's choices about what others learn of their activity; a choice left out
/// stays as it was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrivacyChoices {
    /// Whether others may read their check-ins (which is also what lets them be mayor).
    pub check_ins_public: Option<bool>,
    /// Whether they stay out of mayorships even while sharing their check-ins.
    pub hidden_from_mayor: Option<bool>,
}

impl PrivacyChoices {
    /// Whether no choice is made.
    pub fn is_empty(&self) -> bool {
        self.check_ins_public.is_none() && self.hidden_from_mayor.is_none()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn failed(errors: FieldErrors) -> Vec<String> {
        errors.fields().iter().map(|f| f.field.clone()).collect()
    }

    #[test]
    fn a_tip_is_trimmed_bounded_and_clean() {
        let draft =
            TipDraft::parse("  Les meilleures chocolatines\nsont au fond à gauche ").unwrap();
        assert_eq!(
            draft.text.as_str(),
            "Les meilleures chocolatines\nsont au fond à gauche"
        );
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(TIP_MAX + 1)] {
            assert_eq!(
                failed(TipDraft::parse(bad).unwrap_err()),
                ["text"],
                "{bad:?}"
            );
        }
        assert!(TipDraft::parse(&"é".repeat(TIP_MAX)).is_ok());
    }

    #[test]
    fn a_check_in_reports_every_failed_field_and_a_blank_message_is_none() {
        let draft = CheckInDraft::parse(Some("  "), Some("k-1")).unwrap();
        assert_eq!(draft.message, None);
        assert_eq!(draft.idempotency_key.unwrap().as_str(), "k-1");
        let message = CheckInDraft::parse(Some(" Café en terrasse "), None).unwrap();
        assert_eq!(message.message.unwrap().as_str(), "Café en terrasse");
        let errors = CheckInDraft::parse(Some("line\nbreak"), Some("clé")).unwrap_err();
        assert_eq!(failed(errors), ["message", "idempotencyKey"]);
        let long = "x".repeat(CHECK_IN_MESSAGE_MAX + 1);
        assert!(CheckInDraft::parse(Some(&long), Some("")).is_err());
        let key = "k".repeat(IDEMPOTENCY_KEY_MAX);
        assert!(CheckInDraft::parse(None, Some(&key)).is_ok());
        let longer = "k".repeat(IDEMPOTENCY_KEY_MAX + 1);
        assert!(CheckInDraft::parse(None, Some(&longer)).is_err());
    }

    #[test]
    fn a_report_reason_is_optional_and_bounded() {
        assert_eq!(TipReport::parse(None).unwrap().reason, None);
        assert_eq!(TipReport::parse(Some(" ")).unwrap().reason, None);
        assert_eq!(
            TipReport::parse(Some("hors sujet"))
                .unwrap()
                .reason
                .unwrap()
                .as_str(),
            "hors sujet"
        );
        let long = "x".repeat(REPORT_REASON_MAX + 1);
        assert_eq!(
            failed(TipReport::parse(Some(&long)).unwrap_err()),
            ["reason"]
        );
    }
}
