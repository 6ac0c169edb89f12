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
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&first) {
            Ok(Self(first as u8))
        } else {
            Err(PageSizeError {
                min: Self::MIN.into(),
                max: Self::MAX.into(),
                got: first,
            })
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
    }
}
