//! Analysis for search: the same on both databases, at index and at query time.
//!
//! A text is split into words at every character that is neither a letter nor a digit
//! (apostrophes and hyphens included, so that "l'Envol" gives "l" and "envol" and
//! "Jean-Jaurès" gives "jean" and "jaures"); each word is folded (case and accents), the
//! elided articles and pronouns and the other stop words of the text's language are
//! dropped, and what is left is stemmed with that language's Snowball stemmer (French:
//! `marchés` → `march`, `piscines` → `piscin`). Stemming is repeated until the term no
//! longer changes, so that analysing a term again gives the term itself. French, the city's
//! language, is the analysis of the originals; translations are read with their own
//! language's ([`Analyser::of`]).

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use crate::text::fold;

/// French stop words, folded: Snowball's list (which PostgreSQL's `french` configuration
/// also uses), the elided `l'`, `d'`, `qu'`… included.
const STOP_WORDS: &[&str] = &[
    "a", "ai", "aie", "aient", "aies", "ait", "as", "au", "aura", "aurai", "auraient", "aurais",
    "aurait", "auras", "aurez", "auriez", "aurions", "aurons", "auront", "aux", "avaient", "avais",
    "avait", "avec", "avez", "aviez", "avions", "avons", "ayant", "ayante", "ayantes", "ayants",
    "ayez", "ayons", "c", "ce", "ces", "d", "dans", "de", "des", "du", "elle", "en", "es", "est",
    "et", "etaient", "etais", "etait", "etant", "etante", "etantes", "etants", "ete", "etee",
    "etees", "etes", "etiez", "etions", "eu", "eue", "eues", "eumes", "eurent", "eus", "eusse",
    "eussent", "eusses", "eussiez", "eussions", "eut", "eutes", "eux", "fumes", "furent", "fus",
    "fusse", "fussent", "fusses", "fussiez", "fussions", "fut", "futes", "il", "j", "je", "l",
    "la", "le", "leur", "lui", "m", "ma", "mais", "me", "meme", "mes", "moi", "mon", "n", "ne",
    "nos", "notre", "nous", "on", "ont", "ou", "par", "pas", "pour", "qu", "que", "qui", "s", "sa",
    "se", "sera", "serai", "seraient", "serais", "serait", "seras", "serez", "seriez", "serions",
    "serons", "seront", "ses", "soient", "sois", "soit", "sommes", "son", "sont", "soyez",
    "soyons", "suis", "sur", "t", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos",
    "votre", "vous", "y",
];

/// English stop words, folded: Snowball's list, without its contractions (whose parts,
/// "don" and "t", are words of their own here) and with those parts.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "d",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "ll",
    "m",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "re",
    "s",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "ve",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Spanish stop words, folded: the articles, prepositions, conjunctions and pronouns of
/// Snowball's list, and the forms of "ser", "estar" and "haber" most often met.
const SPANISH_STOP_WORDS: &[&str] = &[
    "a", "al", "algo", "algunas", "algunos", "ante", "antes", "como", "con", "contra", "cual",
    "cuando", "de", "del", "desde", "donde", "durante", "e", "el", "ella", "ellas", "ellos", "en",
    "entre", "era", "es", "esa", "esas", "ese", "eso", "esos", "esta", "estaba", "estado", "estan",
    "estar", "estas", "este", "esto", "estos", "fue", "fueron", "ha", "habia", "han", "hasta",
    "hay", "la", "las", "le", "les", "lo", "los", "mas", "me", "mi", "mis", "mucho", "muchos",
    "muy", "nada", "ni", "no", "nos", "nosotros", "o", "os", "otra", "otras", "otro", "otros",
    "para", "pero", "poco", "por", "porque", "que", "quien", "quienes", "se", "ser", "si", "sin",
    "sobre", "son", "su", "sus", "tambien", "te", "ti", "todo", "todos", "tu", "tus", "un", "una",
    "uno", "unos", "vosotros", "y", "ya", "yo",
];

/// Occitan stop words, folded: its articles, contractions and commonest prepositions and
/// conjunctions (Snowball has no Occitan stemmer: its words are folded, not stemmed).
const OCCITAN_STOP_WORDS: &[&str] = &[
    "a", "al", "als", "amb", "d", "de", "del", "dels", "e", "en", "es", "l", "la", "las", "lo",
    "los", "o", "pel", "pels", "per", "que", "un", "una",
];

static FRENCH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::French));
static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static SPANISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Spanish));

/// How the words of one language are read: its stop words (sorted, folded) and its stemmer.
#[derive(Clone, Copy)]
pub struct Analyser {
    stop_words: &'static [&'static str],
    stemmer: Option<&'static LazyLock<Stemmer>>,
}

impl std::fmt::Debug for Analyser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyser")
            .field("stop_words", &self.stop_words.len())
            .field("stemmed", &self.stemmer.is_some())
            .finish()
    }
}

impl Analyser {
    /// French: the originals' analysis.
    pub const FRENCH: Analyser = Analyser {
        stop_words: STOP_WORDS,
        stemmer: Some(&FRENCH),
    };

    /// The analysis of texts in `language` (an ISO 639-1 code): French, English and Spanish
    /// with their stop words and Snowball stemmers, Occitan with its stop words, folded
    /// only; any other language folded only.
    pub fn of(language: &str) -> Analyser {
        match language {
            "fr" => Analyser::FRENCH,
            "en" => Analyser {
                stop_words: ENGLISH_STOP_WORDS,
                stemmer: Some(&ENGLISH),
            },
            "es" => Analyser {
                stop_words: SPANISH_STOP_WORDS,
                stemmer: Some(&SPANISH),
            },
            "oc" => Analyser {
                stop_words: OCCITAN_STOP_WORDS,
                stemmer: None,
            },
            _ => Analyser {
                stop_words: &[],
                stemmer: None,
            },
        }
    }

    /// The words of `text` that search keeps, each with its term and place in the text.
    pub fn tokens(self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(from)) => {
                    if let Some(term) = self.term(&text[from..i]) {
                        out.push(Token {
                            term,
                            start: from,
                            end: i,
                        });
                    }
                    start = None;
                }
                _ => {}
            }
        }
        out
    }

    /// The terms of `text` joined by spaces: what the index stores.
    pub fn analyse(self, text: &str) -> String {
        let terms: Vec<String> = self.tokens(text).into_iter().map(|t| t.term).collect();
        terms.join(" ")
    }

    /// The term of one word, or `None` for a stop word.
    pub fn term(self, word: &str) -> Option<String> {
        let stop = |term: &str| self.stop_words.binary_search(&term).is_ok();
        let folded = folded_word(word);
        if folded.is_empty() || stop(&folded) {
            return None;
        }
        let mut term = folded;
        if let Some(stemmer) = self.stemmer {
            // A stem is never longer than its word: this ends.
            for _ in 0..term.len() {
                let stemmed = stemmer.stem(&term).into_owned();
                if stemmed == term || stemmed.is_empty() {
                    break;
                }
                term = stemmed;
            }
        }
        // "leurs" stems to the stop word "leur": dropped too, so that analysing a term
        // again gives it back.
        (!stop(&term)).then_some(term)
    }
}

/// One word of a text and the term it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The term: folded and stemmed.
    pub term: String,
    /// Where the word starts in the text, in bytes.
    pub start: usize,
    /// Where it ends, in bytes.
    pub end: usize,
}

/// The words of `text` that search keeps, read as French.
pub fn tokens(text: &str) -> Vec<Token> {
    Analyser::FRENCH.tokens(text)
}

/// The terms of `text`, in order (repeats kept).
pub fn terms(text: &str) -> Vec<String> {
    tokens(text).into_iter().map(|t| t.term).collect()
}

/// The terms of `text` read as French, joined by spaces: what the index stores.
pub fn analyse(text: &str) -> String {
    Analyser::FRENCH.analyse(text)
}

pub(super) fn folded_word(word: &str) -> String {
    fold(word).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The term of one French word, or `None` for a stop word.
pub fn term(word: &str) -> Option<String> {
    Analyser::FRENCH.term(word)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::SearchQuery;
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_lookup() {
        for list in [
            STOP_WORDS,
            ENGLISH_STOP_WORDS,
            SPANISH_STOP_WORDS,
            OCCITAN_STOP_WORDS,
        ] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{:?}", list[0]);
        }
    }

    #[test]
    fn each_language_is_read_with_its_own_stop_words_and_stemmer() {
        let english = Analyser::of("en");
        assert_eq!(english.analyse("The Museums of the City"), "museum citi");
        assert_eq!(english.analyse("museum"), "museum");
        let spanish = Analyser::of("es");
        assert_eq!(spanish.analyse("Los museos de la ciudad"), "mus ciud");
        assert_eq!(
            Analyser::of("oc").analyse("Lo Capitòli de Tolosa"),
            "capitoli tolosa"
        );
        // French reads English words as French words.
        assert_eq!(english.analyse("libraries"), "librari");
        assert_eq!(english.analyse("library"), "librari");
        assert_eq!(spanish.analyse("bibliotecas"), "bibliotec");
        assert_eq!(spanish.analyse("biblioteca"), "bibliotec");
        assert_eq!(english.analyse("running"), "run");
        assert_ne!(Analyser::FRENCH.analyse("running"), "run");
        let query = SearchQuery::parse_in(english, "the museums").unwrap();
        assert_eq!(query.terms, ["museum"]);
        assert_eq!(query.prefix.as_deref(), Some("museums"));
        for analyser in [english, spanish, Analyser::of("oc"), Analyser::of("de")] {
            for word in ["Running", "Ciudades", "Tolosa", "bibliotecas"] {
                if let Some(term) = analyser.term(word) {
                    assert_eq!(analyser.term(&term), Some(term), "{analyser:?} {word}");
                }
            }
        }
    }
}
