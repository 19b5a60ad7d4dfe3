//! Document limits async-graphql does not enforce itself: lexical tokens
//! (counted before parsing, so a huge document costs little) and aliases.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Counts lexical tokens, stopping as soon as there are more than `max`.
/// Returns `None` when over the limit.
pub fn count_tokens(query: &str, max: usize) -> Option<usize> {
    let b = query.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut count = 0usize;
    while i < n {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < n && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < n && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < n && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if b[i..].starts_with(b"...") => i += 3,
            c if c == b'_' || c.is_ascii_alphabetic() => {
                while i < n && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            c if c == b'-' || c.is_ascii_digit() => {
                i += 1;
                while i < n
                    && (b[i].is_ascii_digit() || matches!(b[i], b'.' | b'e' | b'E' | b'+' | b'-'))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        count += 1;
        if count > max {
            return None;
        }
    }
    Some(count)
}

fn aliases_in(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + aliases_in(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => aliases_in(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Aliased fields in the whole document (operations and fragments).
pub fn count_aliases(doc: &ExecutableDocument) -> usize {
    let ops: usize = doc
        .operations
        .iter()
        .map(|(_, op)| aliases_in(&op.node.selection_set.node))
        .sum();
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| aliases_in(&f.node.selection_set.node))
        .sum();
    ops + fragments
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens_like_a_lexer() {
        assert_eq!(count_tokens("{ a }", 100), Some(3));
        assert_eq!(
            count_tokens("query Q($x: Int = -1.5e3) { a(s: \"x y, z\") ...F }", 100),
            Some(20)
        );
        assert_eq!(count_tokens("# comment only\n{ a }", 100), Some(3));
        assert_eq!(
            count_tokens("{ a(s: \"\"\"block \"quoted\" \"\"\") }", 100),
            Some(8)
        );
        assert_eq!(count_tokens("{ a b c }", 4), None);
    }

    #[test]
    fn counts_aliases_everywhere() {
        let doc = async_graphql::parser::parse_query(
            "query { x: a y: b { z: c } ... on Q { w: d } ...F } fragment F on Q { v: e }",
        )
        .unwrap();
        assert_eq!(count_aliases(&doc), 5);
    }
}
