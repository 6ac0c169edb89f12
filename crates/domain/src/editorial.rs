//! The rules of editorial input: how long each text may be, what characters it may hold,
//! how many items each list takes, and which status changes an article may go through.
//! Every failed field is reported at once, so an editor fixes a form in one go.

use crate::article::ArticleStatus;

/// One field that failed its check, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the input (`title`, `tags[3]`, `cover.alt`).
    pub field: String,
    /// What is wrong, for the editor.
    pub message: String,
}

/// The failed fields of one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Notes a failed field.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Whether every field passed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The failed fields, in the order they were checked.
    pub fn fields(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(value)` when every field passed, the errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("`{}`: {}", e.field, e.message))
            .collect();
        write!(f, "{}", parts.join("; "))
    }
}

/// Limits of editorial texts and lists.
pub mod limits {
    /// Characters of a title.
    pub const TITLE: usize = 200;
    /// Characters of a summary.
    pub const SUMMARY: usize = 600;
    /// Characters of an easy-to-read summary.
    pub const EASY_READ_SUMMARY: usize = 1_200;
    /// Characters of an article body or event description.
    pub const BODY: usize = 100_000;
    /// Characters of an author's name.
    pub const AUTHOR: usize = 120;
    /// Tags on one item.
    pub const TAGS: usize = 20;
    /// Characters of one tag.
    pub const TAG: usize = 40;
    /// Neighbourhoods, related events or related places on one item.
    pub const LINKS: usize = 20;
    /// Media on one item.
    pub const MEDIA: usize = 30;
    /// Characters of a URL.
    pub const URL: usize = 2_048;
}

/// Whether a text may hold line breaks and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: no control character at all.
    Single,
    /// Several lines: `\n`, `\r` and `\t` allowed, no other control character.
    Multiple,
}

/// Checks a text: trimmed length within `min..=max` characters, and no control characters
/// (never a NUL). Returns the trimmed text.
pub fn check_text(
    errors: &mut FieldErrors,
    field: &str,
    text: &str,
    min: usize,
    max: usize,
    lines: Lines,
) -> String {
    let trimmed = text.trim();
    let count = trimmed.chars().count();
    if count < min {
        if min == 1 {
            errors.add(field, "cannot be empty");
        } else {
            errors.add(field, format!("has at least {min} characters"));
        }
    } else if count > max {
        errors.add(
            field,
            format!("has at most {max} characters (this one has {count})"),
        );
    }
    let allowed = |c: char| match lines {
        Lines::Single => !c.is_control(),
        Lines::Multiple => !c.is_control() || matches!(c, '\n' | '\r' | '\t'),
    };
    if !trimmed.chars().all(allowed) {
        errors.add(field, "contains control characters");
    }
    trimmed.to_owned()
}

/// Checks an optional text; empty after trimming counts as absent.
pub fn check_optional_text(
    errors: &mut FieldErrors,
    field: &str,
    text: Option<&str>,
    max: usize,
    lines: Lines,
) -> Option<String> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    Some(check_text(errors, field, text, 0, max, lines))
}

/// Checks the length of a list.
pub fn check_count(errors: &mut FieldErrors, field: &str, count: usize, max: usize) -> bool {
    if count > max {
        errors.add(field, format!("takes at most {max} items (got {count})"));
        false
    } else {
        true
    }
}

/// Checks and normalises tags: lowercase, trimmed, 1 to 40 characters, no `|` or control
/// characters, no duplicates (kept once, in order).
pub fn check_tags(errors: &mut FieldErrors, field: &str, tags: &[String]) -> Vec<String> {
    if !check_count(errors, field, tags.len(), limits::TAGS) {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag.trim().to_lowercase();
        let count = tag.chars().count();
        if count == 0 || count > limits::TAG {
            errors.add(
                format!("{field}[{i}]"),
                format!("a tag has 1 to {} characters", limits::TAG),
            );
        } else if tag.chars().any(|c| c.is_control() || c == '|') {
            errors.add(
                format!("{field}[{i}]"),
                "a tag has no `|` and no control characters",
            );
        } else if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// Checks an https URL of at most [`limits::URL`] bytes without credentials.
pub fn check_url(errors: &mut FieldErrors, field: &str, url: &str) -> String {
    let url = url.trim();
    let rest = url.strip_prefix("https://");
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    if url.len() > limits::URL {
        errors.add(field, format!("has at most {} bytes", limits::URL));
    } else if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        errors.add(field, "contains spaces or control characters");
    } else if host.is_none_or(|h| h.is_empty() || h.contains('@') || !h.contains('.')) {
        errors.add(field, "must be an https:// address with a host name");
    }
    url.to_owned()
}

/// A change of an article's publication status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Ask for a review (a draft stays a draft, marked for review).
    SubmitForReview,
    /// Publish now.
    Publish,
    /// Publish later, at the given time.
    Schedule,
    /// Back to draft: no longer public, no longer scheduled.
    Unpublish,
    /// Keep a published article for the record.
    Archive,
}

impl Transition {
    /// The status an article goes to, or why it cannot from `from`.
    pub fn apply(self, from: ArticleStatus) -> Result<ArticleStatus, String> {
        use ArticleStatus::{Archived, Draft, Published, Scheduled};
        let to = match (self, from) {
            (Transition::SubmitForReview, Draft) => Draft,
            (Transition::Publish, Draft | Scheduled | Archived) => Published,
            (Transition::Schedule, Draft | Scheduled) => Scheduled,
            (Transition::Unpublish, Published | Scheduled | Archived) => Draft,
            (Transition::Archive, Published) => Archived,
            (transition, from) => {
                return Err(format!(
                    "a {} article cannot be {}",
                    from.code(),
                    transition.past_tense()
                ));
            }
        };
        Ok(to)
    }

    fn past_tense(self) -> &'static str {
        match self {
            Transition::SubmitForReview => "submitted for review (only drafts are)",
            Transition::Publish => "published again",
            Transition::Schedule => "scheduled (only drafts and scheduled articles are)",
            Transition::Unpublish => "unpublished (it is not public)",
            Transition::Archive => "archived (only published articles are)",
        }
    }

    /// The audit log's name of this change.
    pub fn action(self) -> &'static str {
        match self {
            Transition::SubmitForReview => "SUBMIT_FOR_REVIEW",
            Transition::Publish => "PUBLISH",
            Transition::Schedule => "SCHEDULE",
            Transition::Unpublish => "UNPUBLISH",
            Transition::Archive => "ARCHIVE",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_failed_field_is_reported_at_once() {
        let mut errors = FieldErrors::default();
        let title = check_text(
            &mut errors,
            "title",
            &"x".repeat(1_000_000),
            1,
            limits::TITLE,
            Lines::Single,
        );
        check_text(
            &mut errors,
            "summary",
            "a\u{0}b",
            0,
            limits::SUMMARY,
            Lines::Multiple,
        );
        check_text(
            &mut errors,
            "author",
            "   ",
            1,
            limits::AUTHOR,
            Lines::Single,
        );
        let body = check_text(
            &mut errors,
            "body",
            " line 1\nline 2\t ",
            0,
            limits::BODY,
            Lines::Multiple,
        );
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "summary", "author"]);
        assert!(errors.fields()[0].message.contains("at most 200"));
        assert_eq!(body, "line 1\nline 2");
        assert_eq!(title.len(), 1_000_000);
        assert!(errors.into_result(()).is_err());
    }

    #[test]
    fn tags_are_normalised_and_bounded() {
        let mut errors = FieldErrors::default();
        let tags = check_tags(
            &mut errors,
            "tags",
            &["Culture".into(), "culture".into(), " Été ".into()],
        );
        assert_eq!(tags, ["culture", "été"]);
        assert!(errors.is_empty());
        check_tags(&mut errors, "tags", &["a|b".into(), String::new()]);
        assert_eq!(errors.fields().len(), 2);
        let many: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        let mut errors = FieldErrors::default();
        assert!(check_tags(&mut errors, "tags", &many).is_empty());
        assert!(errors.fields()[0].message.contains("at most 20"));
    }

    #[test]
    fn urls_are_https_with_a_host() {
        let mut errors = FieldErrors::default();
        check_url(&mut errors, "a", "https://www.toulouse.fr/image.jpg");
        assert!(errors.is_empty());
        for bad in [
            "http://x.fr",
            "https://",
            "https://user:pw@x.fr/",
            "https://x.fr/a b",
            "javascript:alert(1)",
        ] {
            let mut errors = FieldErrors::default();
            check_url(&mut errors, "a", bad);
            assert!(!errors.is_empty(), "{bad}");
        }
    }

    #[test]
    fn articles_move_only_along_the_workflow() {
        use ArticleStatus::*;
        assert_eq!(Transition::Publish.apply(Draft), Ok(Published));
        assert_eq!(Transition::Schedule.apply(Draft), Ok(Scheduled));
        assert_eq!(Transition::Unpublish.apply(Published), Ok(Draft));
        assert_eq!(Transition::Archive.apply(Published), Ok(Archived));
        assert_eq!(Transition::SubmitForReview.apply(Draft), Ok(Draft));
        assert!(
            Transition::Archive
                .apply(Draft)
                .unwrap_err()
                .contains("DRAFT")
        );
        assert!(Transition::Publish.apply(Published).is_err());
        assert!(Transition::Schedule.apply(Published).is_err());
        assert!(Transition::Unpublish.apply(Draft).is_err());
    }
}
