//! The rules of editorial input: how long each text may be, what characters it may hold,
//! and how many items each list takes. Every failed field is reported at once, so an editor
//! fixes a form in one go.

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

    /// Whether `field`, or one of its items (`field[2]`) or parts (`field.url`), failed.
    pub fn concern(&self, field: &str) -> bool {
        self.0.iter().any(|e| {
            e.field
                .strip_prefix(field)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['[', '.']))
        })
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

/// An editor's input after the domain's checks: the value made of what was given (texts
/// trimmed, a list over its limit left empty) and every field that failed. A service adds
/// the failures only storage can see (a slug that names nothing, an id of nothing), and
/// takes the value only when no field failed, so that an editor fixes a form in one go.
#[derive(Debug, Clone)]
pub struct Checked<T> {
    value: T,
    errors: FieldErrors,
}

impl<T> Checked<T> {
    /// The value built from an input, with the fields that failed on the way.
    pub fn new(value: T, errors: FieldErrors) -> Self {
        Self { value, errors }
    }

    /// Adds the fields that failed before these checks (ids the caller could not read),
    /// listed first.
    pub fn after(mut self, mut earlier: FieldErrors) -> Self {
        earlier.0.append(&mut self.errors.0);
        self.errors = earlier;
        self
    }

    /// What was given, for the checks that remain; trustworthy only if no field failed.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Notes a field that failed a check made after parsing.
    pub fn refuse(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    /// Whether `field`, one of its items or one of its parts failed.
    pub fn failed(&self, field: &str) -> bool {
        self.errors.concern(field)
    }

    /// The value when every field passed, the failed fields otherwise.
    pub fn into_result(self) -> Result<T, FieldErrors> {
        self.errors.into_result(self.value)
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

/// Checks an easy-to-read summary (`easyReadSummary`, articles, events and places alike):
/// optional, several lines, up to [`limits::EASY_READ_SUMMARY`] characters.
pub fn check_easy_read_summary(errors: &mut FieldErrors, text: Option<&str>) -> Option<String> {
    check_optional_text(
        errors,
        "easyReadSummary",
        text,
        limits::EASY_READ_SUMMARY,
        Lines::Multiple,
    )
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

/// Checks an optional https address; empty counts as absent.
pub(crate) fn optional_url(
    errors: &mut FieldErrors,
    field: &str,
    url: Option<&str>,
) -> Option<String> {
    let url = url.map(str::trim).filter(|u| !u.is_empty())?;
    Some(check_url(errors, field, url))
}

/// Checks an address given for publication: the rules of [`crate::weblink`] (https, no
/// credentials, a public host, at most [`limits::URL`] bytes) and no spaces. The address is
/// kept as written, trimmed.
pub fn check_url(errors: &mut FieldErrors, field: &str, url: &str) -> String {
    let url = url.trim();
    if url.chars().any(char::is_whitespace) {
        errors.add(field, "an address cannot contain spaces");
    } else if url.len() > limits::URL {
        errors.add(
            field,
            format!("an address has at most {} bytes", limits::URL),
        );
    } else if let Err(problem) = crate::weblink::parse_https(url) {
        errors.add(field, problem.to_string());
    }
    url.to_owned()
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
    fn a_checked_input_gives_its_value_only_when_no_field_failed() {
        let mut errors = FieldErrors::default();
        errors.add("relatedEvents[1]", "nothing has this id");
        let mut checked = Checked::new("draft", FieldErrors::default()).after(errors);
        assert!(checked.failed("relatedEvents"));
        assert!(!checked.failed("related"));
        checked.refuse("organizations", "name at least one publisher");
        assert_eq!(*checked.value(), "draft");
        let fields: Vec<String> = checked
            .into_result()
            .unwrap_err()
            .fields()
            .iter()
            .map(|e| e.field.clone())
            .collect();
        assert_eq!(fields, ["relatedEvents[1]", "organizations"]);
        assert_eq!(Checked::new(1, FieldErrors::default()).into_result(), Ok(1));
    }
}
