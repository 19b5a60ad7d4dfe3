//! Reading an ingest batch's rows straight from the request's JSON.
//!
//! A 10,000-row batch read as GraphQL values is built as one map per row,
//! copied whole by validation and again for the argument, checked value by
//! value and then converted into the input type. When an operation is an
//! ingest mutation alone, taking its whole input from one variable, the
//! rows are read from that variable's JSON into their input type instead
//! ([`ReadRows`]), and the GraphQL layer sees the batch with `rows: []`:
//! it still validates and parses everything else. Rows that do not read
//! as their type (a wrong type, an unknown field, a list written as a
//! single value) or that hold a NUL character are left to the GraphQL
//! layer, so every refusal keeps its answer.

use async_graphql::{
    indexmap::IndexMap,
    parser::types::{
        ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
    },
    Name, Value, Variables,
};
use async_graphql_value::Value as DocValue;
use serde_json::value::RawValue;

use crate::{graphql::MAX_RECURSIVE_DEPTH, ingest::ReadRows};

/// The variables as sent: each one's JSON text, in the order sent.
pub type RawVariables = IndexMap<String, Box<RawValue>>;

/// The `variables` of a request, read in the same pass as the rest of the
/// body: each variable kept as its JSON text until the operation is known.
#[derive(Debug, Default)]
pub enum SentVariables {
    /// `null`, or none sent.
    #[default]
    None,
    /// An object: the variables by name.
    Object(RawVariables),
    /// Anything else, which is refused.
    NotAnObject,
}

impl<'de> serde::Deserialize<'de> for SentVariables {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct Sent;
        impl<'de> Visitor<'de> for Sent {
            type Value = SentVariables;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the variables")
            }
            fn visit_unit<E>(self) -> Result<SentVariables, E> {
                Ok(SentVariables::None)
            }
            fn visit_none<E>(self) -> Result<SentVariables, E> {
                Ok(SentVariables::None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SentVariables, A::Error> {
                let mut vars = RawVariables::with_capacity(map.size_hint().unwrap_or(1));
                while let Some((name, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    vars.insert(name, value);
                }
                Ok(SentVariables::Object(vars))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SentVariables, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(SentVariables::NotAnObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
        }
        deserializer.deserialize_any(Sent)
    }
}

/// Reads the rows of one mutation's batch from JSON.
type RowsReader = fn(&str) -> Option<ReadRows>;

/// The variable holding the whole input of `op`'s only root field, when
/// that field is an ingest mutation (no directive, no fragment) and the
/// variable is used nowhere else in the document; with the reader of the
/// field's rows.
pub fn batch_variable<'a>(
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
) -> Option<(&'a str, RowsReader)> {
    if op.ty != OperationType::Mutation || !op.directives.is_empty() {
        return None;
    }
    let [item] = op.selection_set.node.items.as_slice() else {
        return None;
    };
    let Selection::Field(field) = &item.node else {
        return None;
    };
    if !field.node.directives.is_empty() {
        return None;
    }
    let reader = crate::graphql::rows_reader(&field.node.name.node)?;
    let [(arg, value)] = field.node.arguments.as_slice() else {
        return None;
    };
    let DocValue::Variable(var) = &value.node else {
        return None;
    };
    (arg.node == "input" && uses_of_variable(doc, var) == 1).then_some((var.as_str(), reader))
}

/// How many times variable `name` is written in `doc`'s field and
/// directive arguments (operations and fragments).
fn uses_of_variable(doc: &ExecutableDocument, name: &str) -> usize {
    fn in_value(v: &DocValue, name: &str) -> usize {
        match v {
            DocValue::Variable(n) => usize::from(n.as_str() == name),
            DocValue::List(items) => items.iter().map(|v| in_value(v, name)).sum(),
            DocValue::Object(fields) => fields.values().map(|v| in_value(v, name)).sum(),
            _ => 0,
        }
    }
    fn in_directives(
        directives: &[async_graphql::Positioned<async_graphql::parser::types::Directive>],
        name: &str,
    ) -> usize {
        directives
            .iter()
            .flat_map(|d| d.node.arguments.iter())
            .map(|(_, v)| in_value(&v.node, name))
            .sum()
    }
    fn in_set(set: &SelectionSet, name: &str, depth: usize) -> usize {
        if depth > MAX_RECURSIVE_DEPTH {
            // Deeper than any document the schema accepts: count it as
            // used again, so that the batch is read the usual way.
            return 2;
        }
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    let args: usize = f
                        .node
                        .arguments
                        .iter()
                        .map(|(_, v)| in_value(&v.node, name))
                        .sum();
                    args + in_directives(&f.node.directives, name)
                        + in_set(&f.node.selection_set.node, name, depth + 1)
                }
                Selection::InlineFragment(i) => {
                    in_directives(&i.node.directives, name)
                        + in_set(&i.node.selection_set.node, name, depth + 1)
                }
                Selection::FragmentSpread(s) => in_directives(&s.node.directives, name),
            })
            .sum()
    }
    let ops: usize = doc
        .operations
        .iter()
        .map(|(_, op)| {
            in_directives(&op.node.directives, name) + in_set(&op.node.selection_set.node, name, 0)
        })
        .sum();
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| {
            in_directives(&f.node.directives, name) + in_set(&f.node.selection_set.node, name, 0)
        })
        .sum();
    ops + fragments
}

/// The variables as GraphQL values. When `batch` names a variable whose
/// `rows` read as their input type, those rows are returned apart and the
/// variable's `rows` is the empty list. An error is JSON that is not a
/// GraphQL value (a number out of range).
pub fn variables(
    raw: RawVariables,
    batch: Option<(&str, RowsReader)>,
) -> Result<(Variables, Option<ReadRows>), serde_json::Error> {
    let mut variables = Variables::default();
    let mut read = None;
    for (name, json) in raw {
        let value = match batch {
            Some((var, reader)) if var == name && read.is_none() => {
                match without_rows(&json, reader)? {
                    Some((value, rows)) => {
                        read = Some(rows);
                        value
                    }
                    None => serde_json::from_str(json.get())?,
                }
            }
            _ => serde_json::from_str(json.get())?,
        };
        variables.insert(Name::new(name), value);
    }
    Ok((variables, read))
}

/// The batch `json` as a GraphQL value with `rows: []`, and its rows read
/// by `reader`; `None` when `json` is not an object whose `rows` read so.
fn without_rows(
    json: &RawValue,
    reader: RowsReader,
) -> Result<Option<(Value, ReadRows)>, serde_json::Error> {
    let Ok(mut fields) = serde_json::from_str::<IndexMap<String, &RawValue>>(json.get()) else {
        return Ok(None);
    };
    let Some(rows) = fields.get("rows") else {
        return Ok(None);
    };
    // A NUL character is refused with the path of the field that holds it,
    // which the GraphQL values name. In JSON it can only be written as an
    // escape; text that merely looks like one is read the usual way too.
    if rows.get().contains("\\u0000") {
        return Ok(None);
    }
    let Some(read) = reader(rows.get()) else {
        return Ok(None);
    };
    let mut object = IndexMap::with_capacity(fields.len());
    for (key, value) in fields.drain(..) {
        let value = if key == "rows" {
            Value::List(Vec::new())
        } else {
            serde_json::from_str(value.get())?
        };
        object.insert(Name::new(key), value);
    }
    Ok(Some((Value::Object(object), read)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn batch(query: &str) -> Option<String> {
        let doc = parse_query(query).unwrap();
        let op = match &doc.operations {
            async_graphql::parser::types::DocumentOperations::Single(op) => &op.node,
            async_graphql::parser::types::DocumentOperations::Multiple(ops) => {
                &ops.values().next().unwrap().node
            }
        };
        batch_variable(&doc, op).map(|(var, _)| var.to_string())
    }

    #[test]
    fn only_an_ingest_alone_taking_its_whole_input_from_a_variable_is_read_directly() {
        let one = "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }";
        assert_eq!(batch(one).as_deref(), Some("i"));
        let aliased =
            "mutation($i: IngestOrdersInput!) { o: ingestOrders(input: $i) { inserted } }";
        assert_eq!(batch(aliased).as_deref(), Some("i"));
        for refused in [
            // Not an ingest.
            "mutation($i: CreateBrandInput!) { createBrand(input: $i) { id } }",
            // Rows written in the document, or their own variable.
            "mutation { ingestOrders(input: {brandId: \"b\", rows: []}) { inserted } }",
            "mutation($r: [OrderRowInput!]!) { ingestOrders(input: {brandId: \"b\", rows: $r}) { inserted } }",
            // Two root fields: the second would run after the first.
            "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } b: ingestOrders(input: $i) { inserted } }",
            "mutation($i: IngestOrdersInput!, $j: IngestCustomersInput!) { ingestOrders(input: $i) { inserted } ingestCustomers(input: $j) { inserted } }",
            // A directive, a fragment.
            "mutation($i: IngestOrdersInput!, $s: Boolean!) { ingestOrders(input: $i) @skip(if: $s) { inserted } }",
            "mutation($i: IngestOrdersInput!) { ... on Mutation { ingestOrders(input: $i) { inserted } } }",
            // A query.
            "query($i: ID!) { brand(id: $i) { id } }",
        ] {
            assert_eq!(batch(refused), None, "{refused}");
        }
    }

    #[test]
    fn a_variable_used_twice_is_read_the_usual_way() {
        let doc = parse_query(
            "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }
             fragment F on Query { x(a: $i) @include(if: $i) }",
        )
        .unwrap();
        assert_eq!(uses_of_variable(&doc, "i"), 3);
    }

    fn raw(json: &str) -> RawVariables {
        serde_json::from_str(json).unwrap()
    }

    fn orders() -> Option<(&'static str, RowsReader)> {
        Some(("i", crate::graphql::rows_reader("ingestOrders").unwrap()))
    }

    const ROW: &str = r#"{"externalId":"o1","customerRef":"c1","orderedAt":"2026-01-02T03:04:05Z","amount":"9.90","currency":"EUR"}"#;

    #[test]
    fn rows_that_read_as_their_type_go_apart_and_the_rest_stays_a_value() {
        let json = format!(
            r#"{{"i": {{"brandId": "b1", "rows": [{ROW}, {ROW}], "mode": "PER_ROW"}}, "x": 1}}"#
        );
        let (vars, read) = variables(raw(&json), orders()).unwrap();
        let rows = read
            .unwrap()
            .take::<crate::commerce::service::OrderRowInput>()
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].amount, "9.90");
        assert_eq!(
            vars.get("i").unwrap().to_string(),
            r#"{brandId: "b1", rows: [], mode: "PER_ROW"}"#
        );
        assert_eq!(vars.get("x").unwrap().to_string(), "1");
    }

    #[test]
    fn rows_that_do_not_read_as_their_type_stay_values() {
        for rows in [
            // A wrong type, an unknown field, a missing field.
            format!("[{}]", ROW.replace(r#""amount":"9.90""#, r#""amount":9.9"#)),
            format!("[{}]", ROW.replace('}', r#","note":"x"}"#)),
            format!("[{}]", ROW.replace(r#","currency":"EUR""#, "")),
            // A list written as one value (GraphQL reads it as a list of one).
            ROW.to_string(),
            // A NUL character, named by its path by the GraphQL values.
            format!("[{}]", ROW.replace("o1", "o\\u0000")),
        ] {
            let json = format!(r#"{{"i": {{"brandId": "b1", "rows": {rows}}}}}"#);
            let (vars, read) = variables(raw(&json), orders()).unwrap();
            assert!(read.is_none(), "{json}");
            let value = vars.get("i").unwrap().to_string();
            assert!(value.contains("externalId"), "{value}");
        }
    }

    #[test]
    fn sent_variables_are_an_object_null_or_refused() {
        let read = |json: &str| serde_json::from_str::<SentVariables>(json).unwrap();
        assert!(matches!(read("null"), SentVariables::None));
        let SentVariables::Object(vars) = read(r#"{"a": [1, {"b": "c"}], "d": null}"#) else {
            panic!("an object")
        };
        assert_eq!(vars["a"].get(), r#"[1, {"b": "c"}]"#);
        assert_eq!(vars["d"].get(), "null");
        for other in ["[1, 2]", "[]", "1", "-1", "1.5", "true", r#""x""#] {
            assert!(matches!(read(other), SentVariables::NotAnObject), "{other}");
        }
        assert!(serde_json::from_str::<SentVariables>("[1,").is_err());
    }

    #[test]
    fn a_number_out_of_range_is_an_error() {
        assert!(variables(raw(r#"{"x": 1e400}"#), None).is_err());
        assert!(variables(raw(r#"{"i": {"brandId": 1e400, "rows": []}}"#), orders()).is_err());
    }
}
