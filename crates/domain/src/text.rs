//! Text rules: folding for accent- and case-insensitive search, and list encoding of codes.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for search: decomposes, drops accents, lowercases and collapses white space,
/// so that "FÊTE  de la musique" and "fete de la musique" compare equal.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        let c = match c {
            'œ' | 'Œ' => {
                push_word_char(&mut out, &mut pending_space, 'o');
                'e'
            }
            'æ' | 'Æ' => {
                push_word_char(&mut out, &mut pending_space, 'a');
                'e'
            }
            'ß' | 'ẞ' => {
                push_word_char(&mut out, &mut pending_space, 's');
                's'
            }
            other => other,
        };
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            for lower in c.to_lowercase() {
                push_word_char(&mut out, &mut pending_space, lower);
            }
        }
    }
    out
}

fn push_word_char(out: &mut String, pending_space: &mut bool, c: char) {
    if *pending_space {
        out.push(' ');
        *pending_space = false;
    }
    out.push(c);
}

/// Encodes a list of codes for a column that is searched by `LIKE '%|CODE|%'`.
pub fn encode_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from("|");
    for code in codes {
        out.push_str(code);
        out.push('|');
    }
    out
}

/// Decodes a list made by [`encode_codes`].
pub fn decode_codes(encoded: &str) -> impl Iterator<Item = &str> {
    encoded.split('|').filter(|part| !part.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_accents_case_and_extra_spaces() {
        assert_eq!(fold("Fête de la  Musique"), "fete de la musique");
        assert_eq!(fold("  MARCHÉS de Noël "), "marches de noel");
        assert_eq!(fold("Cœur de ville"), "coeur de ville");
        assert_eq!(fold("Ça bouge à l'Hôtel-Dieu"), "ca bouge a l'hotel-dieu");
    }

    #[test]
    fn code_lists_round_trip() {
        let encoded = encode_codes(["YOUTH", "FAMILIES"]);
        assert_eq!(encoded, "|YOUTH|FAMILIES|");
        assert_eq!(
            decode_codes(&encoded).collect::<Vec<_>>(),
            ["YOUTH", "FAMILIES"]
        );
        assert_eq!(decode_codes(&encode_codes([])).count(), 0);
    }
}
