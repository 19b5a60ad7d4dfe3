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

use crate::{
    error::{AppError, AppResult},
    graphql::MAX_RECURSIVE_DEPTH,
};

/// A batch's rows that the HTTP layer read from the request's JSON straight
/// into their input type (see this module). The GraphQL layer then sees
/// the batch with `rows: []`, and the resolver takes these rows instead:
/// a 10,000-row batch is not built as GraphQL values, checked value by
/// value, copied and converted again. Rows that do not read as their type
/// are left to the GraphQL layer, which answers with its own error.
pub struct ReadRows(std::sync::Mutex<Option<Box<dyn std::any::Any + Send>>>);

impl ReadRows {
    /// Rows of type `T`, read from `json` (a JSON list), or `None` when
    /// the text is not a list of `T` as the GraphQL input type reads it.
    pub fn read<T: serde::de::DeserializeOwned + Send + 'static>(json: &str) -> Option<Self> {
        let rows: Vec<T> = serde_json::from_str(json).ok()?;
        Some(Self(std::sync::Mutex::new(Some(Box::new(rows)))))
    }

    /// The rows, once, if they are of type `T`.
    pub(crate) fn take<T: Send + 'static>(&self) -> Option<Vec<T>> {
        let rows = self.0.lock().ok()?.take()?;
        rows.downcast::<Vec<T>>().ok().map(|rows| *rows)
    }

    /// The batch's rows: those read from the request when there are
    /// (`given` is then the empty list the GraphQL layer saw), else `given`.
    /// Rows read but not of type `T`, or already taken, are an internal
    /// error rather than an empty batch.
    pub fn take_or<T: Send + 'static>(
        ctx: &async_graphql::Context<'_>,
        given: Vec<T>,
    ) -> AppResult<Vec<T>> {
        let Some(read) = ctx.data_opt::<ReadRows>().filter(|_| given.is_empty()) else {
            return Ok(given);
        };
        read.take().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "the rows read from the request are not this mutation's rows"
            ))
        })
    }
}

/// How to read the rows of an ingest mutation's batch (`input.rows`)
/// straight from JSON, by the mutation's field name; see
/// [`ReadRows`]. Every mutation whose input has `rows` is
/// listed (a test checks it against the schema).
pub fn rows_reader(field: &str) -> Option<fn(&str) -> Option<ReadRows>> {
    Some(match field {
        "ingestActivities" => ReadRows::read::<crate::activity::service::ActivityRowInput>,
        "ingestFindings" => ReadRows::read::<crate::finding::service::FindingRowInput>,
        "ingestContentMetrics" => {
            ReadRows::read::<crate::publishing::results::ContentMetricRowInput>
        }
        "ingestTrainingStatements" => {
            ReadRows::read::<crate::training_result::service::TrainingStatementRow>
        }
        "ingestCustomers" => ReadRows::read::<crate::commerce::service::CustomerRowInput>,
        "ingestOrders" => ReadRows::read::<crate::commerce::service::OrderRowInput>,
        "ingestSurveyResponses" => ReadRows::read::<crate::commerce::service::SurveyRowInput>,
        _ => return None,
    })
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
    let reader = rows_reader(&field.node.name.node)?;
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

/// The variables as sent: each one's JSON text, in the order sent.
pub type RawVariables = IndexMap<String, Box<RawValue>>;

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
        Some(("i", rows_reader("ingestOrders").unwrap()))
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
    fn a_number_out_of_range_is_an_error() {
        assert!(variables(raw(r#"{"x": 1e400}"#), None).is_err());
        assert!(variables(raw(r#"{"i": {"brandId": 1e400, "rows": []}}"#), orders()).is_err());
    }

    use async_graphql::{EnumType, InputType};
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    /// `rows`, read by `field`'s reader and by the GraphQL input type,
    /// give the same rows.
    fn read_alike<T: InputType + Debug + Send + 'static>(field: &str, rows: &str) {
        let read = rows_reader(field).unwrap()(rows)
            .unwrap_or_else(|| panic!("{field}: {rows}"))
            .take::<T>()
            .unwrap();
        let value: async_graphql::Value = serde_json::from_str(rows).unwrap();
        let parsed = <Vec<T> as InputType>::parse(Some(value)).unwrap();
        assert_eq!(format!("{read:?}"), format!("{parsed:?}"), "{field}");
    }

    #[test]
    fn every_reader_reads_rows_as_the_graphql_input_type_does() {
        use crate::{activity, commerce, finding, publishing, training_result};
        // Every field set, then only the required ones (the others absent or null).
        read_alike::<activity::service::ActivityRowInput>(
            "ingestActivities",
            r#"[{"sourceKey":"k1","externalId":"u1","platform":"MIGHTY_NETWORKS","handle":"h",
                 "kind":"message","occurredAt":"2026-01-02T03:04:05.123+02:00","channelExternalId":"c",
                 "isReply":true,"properties":{"a":[1,2.5,"x",null,{"b":false}]},"contentItemId":"i1"},
                {"sourceKey":"k2","externalId":"u2","kind":"reaction","occurredAt":"2026-01-02T03:04:05Z",
                 "platform":null,"properties":null}]"#,
        );
        read_alike::<finding::service::FindingRowInput>(
            "ingestFindings",
            r#"[{"externalId":"f1","source":"INTERVIEW","platform":"REDDIT","text":"t","url":"https://x",
                 "collectedAt":"2026-01-02T03:04:05Z","sentiment":-0.5,"weight":2,"tags":["a","b"]},
                {"externalId":"f2","source":"SURVEY","text":"t","collectedAt":"2026-01-02T03:04:05Z"}]"#,
        );
        read_alike::<publishing::results::ContentMetricRowInput>(
            "ingestContentMetrics",
            r#"[{"itemId":"i1","metric":"VOTES","option":"A","observedAt":"2026-01-02T03:04:05Z","value":3},
                {"itemId":"i2","metric":"REVENUE","observedAt":"2026-01-02T03:04:05Z","value":12.75}]"#,
        );
        read_alike::<training_result::service::TrainingStatementRow>(
            "ingestTrainingStatements",
            r#"[{"statementId":"s1","actorEmail":"a@b.c","verb":"PASSED","moduleId":"m1","activityId":"x",
                 "scoreScaled":0.9,"success":true,"completion":false,"duration":"PT1H","timestamp":"2026-01-02T03:04:05Z"},
                {"statementId":"s2","actorEmail":"a@b.c","verb":"COMPLETED","timestamp":"2026-01-02T03:04:05Z"}]"#,
        );
        read_alike::<commerce::service::CustomerRowInput>(
            "ingestCustomers",
            r#"[{"externalRef":"c1","memberPlatform":"DISCORD","memberExternalId":"u1"},{"externalRef":"c2"}]"#,
        );
        read_alike::<commerce::service::OrderRowInput>(
            "ingestOrders",
            r#"[{"externalId":"o1","customerRef":"c1","orderedAt":"2026-01-02T03:04:05Z","amount":"9.90",
                 "currency":"EUR","itemCount":3,"offerCode":"X"},
                {"externalId":"o2","customerRef":"c1","orderedAt":"2026-01-02T03:04:05Z","amount":"1","currency":"EUR"}]"#,
        );
        read_alike::<commerce::service::SurveyRowInput>(
            "ingestSurveyResponses",
            r#"[{"externalId":"s1","kind":"CSAT","score":4,"comment":"ok","customerRef":"c1","memberPlatform":"SLACK",
                 "memberExternalId":"u1","respondedAt":"2026-01-02T03:04:05Z"},
                {"externalId":"s2","kind":"NPS","score":9,"respondedAt":"2026-01-02T03:04:05Z"}]"#,
        );
    }

    /// Every value of `T` reads from its GraphQL name.
    fn names_read_alike<T: EnumType + DeserializeOwned + Debug>() {
        for item in T::items() {
            let read: T = serde_json::from_str(&format!("\"{}\"", item.name)).unwrap();
            assert!(read == item.value, "{} read as {read:?}", item.name);
        }
    }

    #[test]
    fn every_enum_in_a_row_reads_from_its_graphql_name() {
        names_read_alike::<crate::community::service::Platform>();
        names_read_alike::<crate::research::service::FindingSource>();
        names_read_alike::<crate::research::service::GatheringPlatform>();
        names_read_alike::<crate::campaign::service::ContentMetric>();
        names_read_alike::<crate::training_result::service::TrainingVerb>();
        names_read_alike::<crate::commerce::service::SurveyKind>();
    }

    #[test]
    fn what_graphql_would_refuse_or_read_otherwise_is_not_read() {
        let orders = rows_reader("ingestOrders").unwrap();
        let row = r#"{"externalId":"o1","customerRef":"c1","orderedAt":"2026-01-02T03:04:05Z","amount":"9.90","currency":"EUR"}"#;
        for rows in [
            row.to_string(),
            format!("[{}]", row.replace("\"9.90\"", "9.9")),
            format!("[{}]", row.replace("\"EUR\"", "\"EUR\",\"x\":1")),
            format!("[{}]", row.replace(",\"currency\":\"EUR\"", "")),
            format!("[{}]", row.replace("\"o1\"", "null")),
            format!("[{}]", row.replace("2026-01-02T03:04:05Z", "yesterday")),
        ] {
            assert!(orders(&rows).is_none(), "{rows}");
        }
        let surveys = rows_reader("ingestSurveyResponses").unwrap();
        let row =
            r#"{"externalId":"s","kind":"NPS","score":9,"respondedAt":"2026-01-02T03:04:05Z"}"#;
        for rows in [
            row.replace("NPS", "nps"),
            row.replace("9", "9.5"),
            row.replace("9", "3000000000"),
        ] {
            assert!(surveys(&format!("[{rows}]")).is_none(), "{rows}");
        }
        assert!(rows_reader("createBrand").is_none());
    }

    #[test]
    fn every_mutation_taking_a_batch_of_rows_has_a_reader() {
        use async_graphql::parser::{
            parse_schema,
            types::{BaseType, TypeKind, TypeSystemDefinition},
        };
        let doc = parse_schema(crate::graphql::sdl()).unwrap();
        let types: std::collections::HashMap<String, &TypeKind> = doc
            .definitions
            .iter()
            .filter_map(|d| match d {
                TypeSystemDefinition::Type(t) => Some((t.node.name.node.to_string(), &t.node.kind)),
                _ => None,
            })
            .collect();
        let TypeKind::Object(mutation) = types["Mutation"] else {
            panic!("Mutation is an object type")
        };
        let mut batches = 0;
        for field in &mutation.fields {
            let takes_rows = field.node.arguments.iter().any(|arg| {
                let BaseType::Named(ty) = &arg.node.ty.node.base else {
                    return false;
                };
                arg.node.name.node == "input"
                    && matches!(types.get(ty.as_str()), Some(TypeKind::InputObject(o))
                        if o.fields.iter().any(|f| f.node.name.node == "rows"))
            });
            let name = field.node.name.node.as_str();
            assert_eq!(takes_rows, rows_reader(name).is_some(), "{name}");
            batches += usize::from(takes_rows);
        }
        assert_eq!(batches, 7, "the seven ingest mutations");
    }
}
