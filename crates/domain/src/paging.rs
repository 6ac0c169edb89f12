//! Page sizes of lists: every list is paged, 1 to 100 items at a time.

/// Why a page size was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`first` must be between {min} and {max}, got {got}")]
pub struct PageSizeError {
    /// Smallest page.
    pub min: i64,
    /// Largest page.
    pub max: i64,
    /// What was asked for.
    pub got: i64,
}

/// How many items one page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u8);

impl PageSize {
    /// Smallest page.
    pub const MIN: u8 = 1;
    /// Largest page: bounded so that one request's work stays bounded.
    pub const MAX: u8 = 100;
    /// The page size when the client names none.
    pub const DEFAULT: PageSize = PageSize(20);

    /// Checks a page size; out of range is an error, never silently clamped.
    pub fn parse(first: i64) -> Result<Self, PageSizeError> {
        Self::parse_at_most(first, Self::MAX.into())
    }

    /// Checks a page size for a list with a smaller page than the rule's (a place's next
    /// events): 1 to `max`, which never goes past [`PageSize::MAX`]; the error states that
    /// range.
    pub fn parse_at_most(first: i64, max: usize) -> Result<Self, PageSizeError> {
        let max = u8::try_from(max).map_or(Self::MAX, |m| m.min(Self::MAX));
        match u8::try_from(first) {
            Ok(size) if (Self::MIN..=max).contains(&size) => Ok(Self(size)),
            _ => Err(PageSizeError {
                min: Self::MIN.into(),
                max: max.into(),
                got: first,
            }),
        }
    }

    /// The number of items.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn page_sizes_run_from_one_to_one_hundred() {
        assert_eq!(PageSize::parse(1).map(PageSize::get), Ok(1));
        assert_eq!(PageSize::parse(100).map(PageSize::get), Ok(100));
        let error = PageSize::parse(101).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`first` must be between 1 and 100, got 101"
        );
        assert!(PageSize::parse(0).is_err());
        assert!(PageSize::parse(-1).is_err());
        assert!(PageSize::parse(1_000_000).is_err());
        assert!(PageSize::parse(i64::MIN).is_err());
    }

    #[test]
    fn smaller_pages_state_their_own_range() {
        assert_eq!(PageSize::parse_at_most(20, 20).map(PageSize::get), Ok(20));
        assert_eq!(
            PageSize::parse_at_most(1_000_000, 20)
                .unwrap_err()
                .to_string(),
            "`first` must be between 1 and 20, got 1000000"
        );
        // A list's own maximum never lifts the rule's.
        assert_eq!(PageSize::parse_at_most(101, 500).unwrap_err().max, 100);
    }
}
