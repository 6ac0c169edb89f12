//! Page sizes of lists: every list is paged, 1 to 100 items at a time, 20 unless the
//! client asks for another size.

/// Why a page size was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{argument}` must be between {min} and {max}, got {got}")]
pub struct PageSizeError {
    /// The argument that held it (`first` or `last`).
    pub argument: &'static str,
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

    /// Checks the page size given as `argument`; out of range is an error naming the
    /// argument and the range, never silently clamped.
    pub fn parse(argument: &'static str, size: i64) -> Result<Self, PageSizeError> {
        match u8::try_from(size) {
            Ok(size) if (Self::MIN..=Self::MAX).contains(&size) => Ok(Self(size)),
            _ => Err(PageSizeError {
                argument,
                min: Self::MIN.into(),
                max: Self::MAX.into(),
                got: size,
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
        assert_eq!(PageSize::parse("first", 1).map(PageSize::get), Ok(1));
        assert_eq!(PageSize::parse("first", 100).map(PageSize::get), Ok(100));
        let error = PageSize::parse("first", 101).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`first` must be between 1 and 100, got 101"
        );
        assert!(PageSize::parse("first", 0).is_err());
        assert!(PageSize::parse("first", -1).is_err());
        assert!(PageSize::parse("first", 1_000_000).is_err());
        assert!(PageSize::parse("first", i64::MIN).is_err());
        assert_eq!(PageSize::DEFAULT.get(), 20);
    }

    #[test]
    fn the_error_names_the_argument_that_held_the_size() {
        assert_eq!(
            PageSize::parse("last", 0).unwrap_err().to_string(),
            "`last` must be between 1 and 100, got 0"
        );
    }
}
