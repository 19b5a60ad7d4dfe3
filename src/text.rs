//! Words of a text, the codebook's keyword rule, and the search syntax.
//!
//! One tokenizer serves tagging, suggestions and searches: a word is a run
//! of letters and digits (Unicode), compared in lower case. A keyword (one
//! word or a phrase) matches a text when its words appear in the text in
//! order and side by side: `durable` matches "Durable boots!" but not
//! "durability".

use crate::error::{AppError, AppResult};

/// The words of `text`, lower-cased.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether the keyword's words (see [`words`]) appear side by side in `text_words`.
pub fn contains_phrase(text_words: &[String], keyword: &[String]) -> bool {
    !keyword.is_empty()
        && text_words.len() >= keyword.len()
        && text_words.windows(keyword.len()).any(|w| w == keyword)
}

/// Whether `word` is one of [`STOP_WORDS`].
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// One part of a search: a word or a quoted phrase, maybe negated.
#[derive(Debug, Clone, PartialEq)]
struct Term {
    words: Vec<String>,
    negated: bool,
}

/// A parsed search in web-search syntax: alternatives (`or`) of terms that
/// must all match, except negated ones (`-word`, `-"a phrase"`) that must not.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    alternatives: Vec<Vec<Term>>,
}

/// Longest search accepted, in characters.
pub const MAX_SEARCH: usize = 200;

impl Search {
    /// Parses `input`: words (all must match), `"quoted phrases"` (words
    /// side by side), `or` between alternatives, `-` before a word or phrase
    /// to exclude it. Stop words are ignored, as PostgreSQL ignores them.
    /// Every alternative needs at least one word to look for.
    pub fn parse(field: &str, input: &str) -> AppResult<Self> {
        if input.chars().count() > MAX_SEARCH {
            return Err(AppError::bad_input(
                field,
                format!("a search is at most {MAX_SEARCH} characters"),
            ));
        }
        let mut alternatives = vec![Vec::new()];
        let mut rest = input.trim();
        while !rest.is_empty() {
            let negated = rest.starts_with('-');
            if negated {
                rest = &rest[1..];
            }
            let (chunk, quoted, after) = if let Some(r) = rest.strip_prefix('"') {
                match r.find('"') {
                    Some(end) => (&r[..end], true, &r[end + 1..]),
                    None => (r, true, ""),
                }
            } else {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], false, &rest[end..])
            };
            rest = after.trim_start();
            if !quoted && !negated && chunk.eq_ignore_ascii_case("or") {
                alternatives.push(Vec::new());
                continue;
            }
            let kept: Vec<String> = words(chunk)
                .into_iter()
                .filter(|w| !is_stop_word(w))
                .collect();
            if kept.is_empty() {
                continue;
            }
            // A phrase, or a word such as "well-made", is its words side by side.
            if let Some(terms) = alternatives.last_mut() {
                terms.push(Term {
                    words: kept,
                    negated,
                });
            }
        }
        alternatives.retain(|a| !a.is_empty());
        if alternatives.is_empty() {
            return Err(AppError::bad_input(
                field,
                "the search has no words to look for (very common words such as \"the\" are ignored)",
            ));
        }
        if alternatives.iter().any(|a| a.iter().all(|t| t.negated)) {
            return Err(AppError::bad_input(
                field,
                "each alternative of a search needs a word to look for, not only words to exclude",
            ));
        }
        Ok(Self { alternatives })
    }

    /// The search for PostgreSQL's `websearch_to_tsquery`, rebuilt from the
    /// parse so that both databases see the same terms.
    pub fn to_websearch(&self) -> String {
        self.alternatives
            .iter()
            .map(|terms| {
                terms
                    .iter()
                    .map(|t| {
                        let sign = if t.negated { "-" } else { "" };
                        format!("{sign}\"{}\"", t.words.join(" "))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// The search as an FTS5 query: each alternative is its positive terms
    /// joined by `AND`, then `NOT` each negated term; alternatives by `OR`.
    pub fn to_fts5(&self) -> String {
        let phrase = |t: &Term| format!("\"{}\"", t.words.join(" "));
        self.alternatives
            .iter()
            .map(|terms| {
                let positive: Vec<String> =
                    terms.iter().filter(|t| !t.negated).map(phrase).collect();
                let mut group = format!("({})", positive.join(" AND "));
                for t in terms.iter().filter(|t| t.negated) {
                    group = format!("({group} NOT {})", phrase(t));
                }
                group
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    }
}

/// PostgreSQL's English stop words (`english.stop`): dropped from searches on
/// SQLite as PostgreSQL drops them, and never suggested as tags.
pub const STOP_WORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(s)
    }

    #[test]
    fn keywords_match_whole_words_in_order() {
        let text = w("These boots are DURABLE, and well-made!");
        assert!(contains_phrase(&text, &w("durable")));
        assert!(contains_phrase(&text, &w("well made")));
        assert!(!contains_phrase(&text, &w("made well")));
        assert!(!contains_phrase(&text, &w("dura")));
        assert!(!contains_phrase(&w("durability matters"), &w("durable")));
    }

    #[test]
    fn searches_translate_the_same_way_for_both_databases() {
        let s = Search::parse("search", "repair \"spare parts\" or resale -cheap").unwrap();
        assert_eq!(
            s.to_websearch(),
            "\"repair\" \"spare parts\" or \"resale\" -\"cheap\""
        );
        assert_eq!(
            s.to_fts5(),
            "(\"repair\" AND \"spare parts\") OR ((\"resale\") NOT \"cheap\")"
        );
        // Stop words are dropped, as PostgreSQL drops them.
        let s = Search::parse("search", "the price of it").unwrap();
        assert_eq!(s.to_fts5(), "(\"price\")");
    }

    #[test]
    fn searches_without_a_word_to_find_are_refused() {
        assert!(Search::parse("search", "the and of").is_err());
        assert!(Search::parse("search", "-cheap").is_err());
        assert!(Search::parse("search", "boots or -cheap").is_err());
        assert!(Search::parse("search", "  ").is_err());
        assert!(Search::parse("search", &"a".repeat(201)).is_err());
    }
}
