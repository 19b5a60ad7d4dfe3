//! Document checks async-graphql does not make itself: lexical tokens
//! (counted before parsing, so a huge document costs little), aliases, NUL
//! characters in any string input, and which root fields an operation
//! selects.

use async_graphql::{
    parser::types::{ExecutableDocument, Selection, SelectionSet},
    Value,
};

use crate::graphql::MAX_RECURSIVE_DEPTH;

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

/// Whether every root field `set` selects (through fragments) passes
/// `keep`, given its name and response key.
pub fn root_fields_all(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    keep: &dyn Fn(&str, &str) -> bool,
) -> bool {
    fields_all(doc, set, keep, 0)
}

fn fields_all(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    keep: &dyn Fn(&str, &str) -> bool,
    depth: usize,
) -> bool {
    if depth > MAX_RECURSIVE_DEPTH {
        return false;
    }
    set.items.iter().all(|item| match &item.node {
        Selection::Field(f) => keep(&f.node.name.node, &f.node.response_key().node),
        Selection::InlineFragment(i) => {
            fields_all(doc, &i.node.selection_set.node, keep, depth + 1)
        }
        Selection::FragmentSpread(s) => doc
            .fragments
            .get(&s.node.fragment_name.node)
            .is_some_and(|f| fields_all(doc, &f.node.selection_set.node, keep, depth + 1)),
    })
}

/// Whether an operation selects only introspection (`__schema`, `__type`,
/// `__typename`) at its root.
pub fn introspection_only(doc: &ExecutableDocument, set: &SelectionSet) -> bool {
    root_fields_all(doc, set, &|name, _| {
        matches!(name, "__schema" | "__type" | "__typename")
    })
}

/// The path of the first string with a NUL character in `value`, under `at`.
fn nul_in_value(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => Some(at.to_string()),
        Value::List(items) => items.iter().find_map(|v| nul_in_value(v, at)),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(k, v)| nul_in_value(v, &format!("{at}.{k}"))),
        _ => None,
    }
}

/// The first answer `check` gives for an argument of a field, in the
/// operations and then the fragments of `doc`; `check` gets the argument's
/// name and value as written.
fn find_in_arguments(
    doc: &ExecutableDocument,
    check: &dyn Fn(&str, &async_graphql_value::Value) -> Option<String>,
) -> Option<String> {
    fn in_set(
        set: &SelectionSet,
        check: &dyn Fn(&str, &async_graphql_value::Value) -> Option<String>,
        depth: usize,
    ) -> Option<String> {
        if depth > MAX_RECURSIVE_DEPTH {
            return None;
        }
        set.items.iter().find_map(|item| match &item.node {
            Selection::Field(f) => f
                .node
                .arguments
                .iter()
                .find_map(|(name, v)| check(&name.node, &v.node))
                .or_else(|| in_set(&f.node.selection_set.node, check, depth + 1)),
            Selection::InlineFragment(i) => in_set(&i.node.selection_set.node, check, depth + 1),
            Selection::FragmentSpread(_) => None,
        })
    }
    doc.operations
        .iter()
        .find_map(|(_, op)| in_set(&op.node.selection_set.node, check, 0))
        .or_else(|| {
            doc.fragments
                .values()
                .find_map(|f| in_set(&f.node.selection_set.node, check, 0))
        })
}

/// The argument of the first string written into the document (operations
/// and fragments) that holds a NUL character: no store accepts one.
pub fn nul_in_document(doc: &ExecutableDocument) -> Option<String> {
    find_in_arguments(doc, &|name, v| nul_in_value(&v.clone().into_const()?, name))
}

/// The argument that variable `name` is passed to, in the operation or its
/// fragments (the first one, when it is passed to several).
pub fn argument_of_variable(doc: &ExecutableDocument, name: &str) -> Option<String> {
    find_in_arguments(doc, &|arg, v| {
        // Resolving the value fails exactly where it uses the variable.
        let uses = v
            .clone()
            .into_const_with(|var| {
                if var.as_str() == name {
                    Err(())
                } else {
                    Ok(Value::Null)
                }
            })
            .is_err();
        uses.then(|| arg.to_string())
    })
}

/// The path of the first variable string that holds a NUL character. The
/// path is built only for the string found, not for every field walked.
pub fn nul_in_variables(variables: &async_graphql::Variables) -> Option<String> {
    use async_graphql::Value;
    /// The names from the string found up to `v`, innermost first.
    fn walk(v: &Value) -> Option<Vec<&str>> {
        match v {
            Value::String(s) if s.contains('\0') => Some(Vec::new()),
            Value::List(items) => items.iter().find_map(walk),
            Value::Object(fields) => fields.iter().find_map(|(k, v)| {
                walk(v).map(|mut path| {
                    path.push(k.as_str());
                    path
                })
            }),
            _ => None,
        }
    }
    variables.iter().find_map(|(name, v)| {
        walk(v).map(|mut path| {
            path.push(name.as_str());
            path.reverse();
            path.join(".")
        })
    })
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

    #[test]
    fn finds_nul_characters_in_arguments_and_variables() {
        let doc =
            async_graphql::parser::parse_query("{ a(f: { x: \"ok\", y: [\"no\\u0000\"] }) { b } }")
                .unwrap();
        assert_eq!(nul_in_document(&doc).as_deref(), Some("f.y"));
        let clean = async_graphql::parser::parse_query("{ a(s: \"fine\") }").unwrap();
        assert_eq!(nul_in_document(&clean), None);
        let vars = async_graphql::Variables::from_json(
            serde_json::json!({ "a": "b", "filter": { "ok": ["y"], "action": ["x", "x\u{0}"] } }),
        );
        assert_eq!(nul_in_variables(&vars).as_deref(), Some("filter.action"));
        let clean = async_graphql::Variables::from_json(serde_json::json!({ "a": ["b"] }));
        assert_eq!(nul_in_variables(&clean), None);
    }

    #[test]
    fn tells_introspection_only_operations() {
        let doc = async_graphql::parser::parse_query(
            "{ __schema { types { name } } __typename } query B { __type(name: \"X\") { name } me { id } }",
        );
        assert!(doc.is_err(), "anonymous and named operations cannot mix");
        let doc = async_graphql::parser::parse_query("{ __schema { types { name } } __typename }")
            .unwrap();
        let (_, op) = doc.operations.iter().next().unwrap();
        assert!(introspection_only(&doc, &op.node.selection_set.node));
        let doc = async_graphql::parser::parse_query("{ __schema { types { name } } me { id } }")
            .unwrap();
        let (_, op) = doc.operations.iter().next().unwrap();
        assert!(!introspection_only(&doc, &op.node.selection_set.node));
    }
}
