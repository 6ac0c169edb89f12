//! Search: how a query reads what a person typed, how well an item's analysed fields
//! answer it, how results are scored and marked, and how alike two terms are. How texts
//! become terms, the same on both databases at index and at query time, is
//! [`analysis`].

mod analysis;

use analysis::folded_word;
pub use analysis::{Analyser, Token, analyse, term, terms, tokens};

/// How alike two terms are, from 0 to 1: the share of their trigrams (of the term padded
/// with two spaces before and one after) they have in common, as PostgreSQL's `pg_trgm`
/// measures `similarity`.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (x, y) = (trigrams(a), trigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let shared = x.iter().filter(|t| y.binary_search(t).is_ok()).count();
    shared as f64 / (x.len() + y.len() - shared) as f64
}

fn trigrams(word: &str) -> Vec<[char; 3]> {
    let padded: Vec<char> = "  ".chars().chain(word.chars()).chain([' ']).collect();
    let mut out: Vec<[char; 3]> = padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What a person looks for, analysed: its terms, and the last word as typed (folded),
/// whose completions also count (they may not have finished typing it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    /// The terms, in the order typed, without repeats (at most [`MAX_TERMS`]).
    pub terms: Vec<String>,
    /// The last word, folded, when it gave the last term and has two letters or more: a
    /// term that starts with it answers the last term too.
    pub prefix: Option<String>,
}

/// The most terms a search looks for; the others are ignored.
pub const MAX_TERMS: usize = 8;
/// The shortest word (in letters) that a misspelling is looked for.
pub const TYPO_MIN_LETTERS: usize = 5;
/// How alike a term of the index must be to a misspelt one to stand in for it.
pub const TYPO_MIN_SIMILARITY: f64 = 0.4;

impl SearchQuery {
    /// The query of a text typed, read as French; `None` when it has no word to look for.
    pub fn parse(text: &str) -> Option<Self> {
        Self::parse_in(Analyser::FRENCH, text)
    }

    /// The query of a text typed, read with `analyser`; `None` when it has no word to look
    /// for.
    pub fn parse_in(analyser: Analyser, text: &str) -> Option<Self> {
        let tokens = analyser.tokens(text);
        let mut terms: Vec<String> = Vec::new();
        for token in &tokens {
            if !terms.contains(&token.term) && terms.len() < MAX_TERMS {
                terms.push(token.term.clone());
            }
        }
        let last = tokens.last()?;
        let prefix = (terms.last() == Some(&last.term))
            .then(|| folded_word(&text[last.start..last.end]))
            .filter(|word| word.chars().count() >= 2);
        Some(Self { terms, prefix })
    }

    /// A query of these terms, none of them unfinished.
    pub fn of_terms(terms: Vec<String>) -> Self {
        Self {
            terms,
            prefix: None,
        }
    }

    /// Whether a term of the index answers the query's term at `index`: the same term,
    /// or for the last one, a term that starts with the last word typed.
    pub fn answers(&self, index: usize, term: &str) -> bool {
        term == self.terms[index]
            || (index + 1 == self.terms.len()
                && self
                    .prefix
                    .as_deref()
                    .is_some_and(|prefix| term.starts_with(prefix)))
    }

    /// How well the analysed fields of an item answer the query, from 0 to 1: each term
    /// counts for the best field it is in (title 1, categories, tags, neighbourhood and
    /// venue 0.4, summary 0.3, and 0.1 for a term found elsewhere, in the body), a term
    /// completed from its start counts for 0.7 of a whole one, and a title that the query
    /// covers wholly ranks above a longer one.
    pub fn relevance(&self, fields: &Fields<'_>) -> f64 {
        let weighted = [
            (fields.title, 1.0),
            (fields.extra, 0.4),
            (fields.summary, 0.3),
        ];
        let mut total = 0.0;
        for (index, wanted) in self.terms.iter().enumerate() {
            let mut best: f64 = 0.1;
            for (field, weight) in weighted {
                for term in field.split_whitespace() {
                    if self.answers(index, term) {
                        let whole = if term == wanted { 1.0 } else { 0.7 };
                        best = best.max(weight * whole);
                    }
                }
            }
            total += best;
        }
        let title_terms = fields.title.split_whitespace().count().max(1);
        let covered = fields
            .title
            .split_whitespace()
            .filter(|term| (0..self.terms.len()).any(|i| self.answers(i, term)))
            .count();
        let coverage = covered as f64 / title_terms as f64;
        (0.9 * total / self.terms.len() as f64 + 0.1 * coverage).min(1.0)
    }
}

/// An item's analysed fields (terms joined by spaces), as the index keeps them.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// Its title or name.
    pub title: &'a str,
    /// Its categories, tags, neighbourhood and venue.
    pub extra: &'a str,
    /// Its summary.
    pub summary: &'a str,
}

/// What, beyond the text, orders the results of a kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Standing {
    /// An article: the more recent, the higher (half-life of about a month).
    Article {
        /// Days since it was published.
        age_days: f64,
    },
    /// An event: the sooner its next date, the higher (under way counts as now).
    Event {
        /// Days until its next date starts (0 when under way).
        days_ahead: f64,
        /// Metres from the point searched near, if one was given and it has a venue.
        distance: Option<f64>,
    },
    /// A place: the more visited, and the nearer the point searched near, the higher.
    Place {
        /// Its popularity (check-ins, recent ones weighing more).
        popularity: f64,
        /// Metres from the point searched near, if one was given.
        distance: Option<f64>,
    },
}

impl Standing {
    /// The factor (from 0.5 to 1) that multiplies relevance.
    pub fn factor(self) -> f64 {
        let near = |distance: Option<f64>| distance.map_or(1.0, |d| 1.0 / (1.0 + d / 2_000.0));
        match self {
            Standing::Article { age_days } => 0.7 + 0.3 / (1.0 + age_days.max(0.0) / 30.0),
            Standing::Event {
                days_ahead,
                distance,
            } => (0.7 + 0.3 / (1.0 + days_ahead.max(0.0) / 7.0)) * (0.5 + 0.5 * near(distance)),
            Standing::Place {
                popularity,
                distance,
            } => {
                let known = (1.0 + popularity.max(0.0)).ln();
                (0.7 + 0.3 * known / (known + 4.0)) * (0.5 + 0.5 * near(distance))
            }
        }
    }
}

/// `text` with the words that answer `query` marked `<mark>…</mark>`, the rest escaped for
/// HTML; when the text is longer than `window` characters, only the part around the first
/// word marked, with `…` where it is cut. `None` when no word answers.
pub fn highlight(text: &str, query: &SearchQuery, window: usize) -> Option<String> {
    let marked: Vec<Token> = tokens(text)
        .into_iter()
        .filter(|t| (0..query.terms.len()).any(|i| query.answers(i, &t.term)))
        .collect();
    let first = marked.first()?;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = chars.partition_point(|(i, _)| *i < first.start);
    // Start a few words before the first word marked, at the start of a word.
    let mut from = at.saturating_sub(window / 4);
    while from > 0 && from < at && !chars[from - 1].1.is_whitespace() {
        from += 1;
    }
    let to = (from + window).min(chars.len());
    let byte = |index: usize| chars.get(index).map_or(text.len(), |(i, _)| *i);
    let (start, end) = (byte(from), byte(to));
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut cursor = start;
    for token in marked.iter().filter(|t| t.start >= start && t.end <= end) {
        escape_into(&mut out, &text[cursor..token.start]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[token.start..token.end]);
        out.push_str("</mark>");
        cursor = token.end;
    }
    escape_into(&mut out, &text[cursor..end]);
    if end < text.len() {
        out.push('…');
    }
    Some(out)
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
}

/// A search result's score: relevance times standing, rounded to six decimals so that
/// both databases order ties alike.
pub fn score(relevance: f64, standing: Standing) -> f64 {
    (relevance * standing.factor() * 1e6).round() / 1e6
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::text::fold;

    #[test]
    fn french_words_fold_elide_and_stem() {
        assert_eq!(terms("Les marchés de Noël"), ["march", "noel"]);
        assert_eq!(terms("piscines"), ["piscin"]);
        assert_eq!(terms("Musées"), terms("musees"));
        assert_eq!(terms("l'Envol des Pionniers"), terms("envol pionniers"));
        assert_eq!(terms("Métro Jean-Jaurès"), terms("metro jean jaures"));
        assert_eq!(terms("démarches"), ["demarch"]);
        assert!(terms("qu'il y a").is_empty());
    }

    #[test]
    fn tokens_point_at_the_words_of_the_text() {
        let text = "Fête à l'Hôtel-Dieu";
        let words: Vec<&str> = tokens(text).iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(words, ["Fête", "Hôtel", "Dieu"]);
    }

    #[test]
    fn titles_outrank_bodies_and_the_last_word_may_be_unfinished() {
        let query = SearchQuery::parse("marche noe").unwrap();
        let title = Fields {
            title: "march noel",
            extra: "",
            summary: "",
        };
        let summary = Fields {
            title: "ouvertur",
            extra: "",
            summary: "march noel",
        };
        assert!(query.relevance(&title) > query.relevance(&summary));
        assert!(query.answers(1, "noel"));
        assert!(!query.answers(0, "marchand"));
        // "mars" is stemmed to "mar", but only words that start with "mars" complete it.
        let mars = SearchQuery::parse("mars").unwrap();
        assert!(mars.answers(0, "mar") && !mars.answers(0, "march"));
        assert!(SearchQuery::parse("le la les").is_none());
    }

    #[test]
    fn standing_prefers_recent_soon_near_and_popular() {
        let article = |age_days| score(1.0, Standing::Article { age_days });
        assert!(article(1.0) > article(60.0));
        let place = |popularity, distance| {
            score(
                1.0,
                Standing::Place {
                    popularity,
                    distance,
                },
            )
        };
        assert!(place(100.0, None) > place(0.0, None));
        assert!(place(0.0, Some(100.0)) > place(0.0, Some(5_000.0)));
        let event = |days_ahead| {
            score(
                1.0,
                Standing::Event {
                    days_ahead,
                    distance: None,
                },
            )
        };
        assert!(event(0.0) > event(30.0));
    }

    #[test]
    fn highlights_mark_the_words_found_and_escape_the_rest() {
        let query = SearchQuery::parse("marches noe").unwrap();
        assert_eq!(
            highlight("Les <Marchés> de Noël", &query, 200).unwrap(),
            "Les &lt;<mark>Marchés</mark>&gt; de <mark>Noël</mark>"
        );
        assert!(highlight("Piscine Nakache", &query, 200).is_none());
        let long = format!("{} marché {}", "a".repeat(300), "b".repeat(300));
        let cut = highlight(&long, &query, 100).unwrap();
        assert!(cut.starts_with('…') && cut.ends_with('…') && cut.contains("<mark>marché</mark>"));
        let words = format!("{}marché", "mots ".repeat(100));
        let cut = highlight(&words, &query, 100).unwrap();
        assert!(
            cut.starts_with("…mots "),
            "a fragment starts at a word: {cut}"
        );
    }

    #[test]
    fn similarity_is_that_of_trigrams() {
        assert!((similarity("piscin", "piscin") - 1.0).abs() < 1e-9);
        assert!(similarity("aeroscopa", "aeroscopia") > 0.5);
        assert!(similarity("piscin", "concert") < 0.1);
        assert_eq!(similarity("", "piscin"), 0.0);
    }

    proptest::proptest! {
        #[test]
        fn folding_is_idempotent(text in "\\PC{0,40}") {
            let once = fold(&text);
            proptest::prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn analysing_terms_again_gives_them_back(text in "[a-zA-ZàâäçéèêëîïôöùûüÿœÀÉÈ' -]{0,60}") {
            let once = terms(&text);
            proptest::prop_assert_eq!(terms(&once.join(" ")), once);
        }

        #[test]
        fn a_word_is_never_split(word in "[a-zA-Zàâçéèêëîïôûùüœ0-9]{1,20}") {
            proptest::prop_assert!(terms(&word).len() <= 1);
        }
    }
}
