//! The committed schema matches the code, and every type and field is described.

#[test]
fn committed_schema_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        committed == hearth::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -- export-schema` and commit it"
    );
}

#[test]
fn every_type_field_argument_and_enum_value_has_a_description() {
    let sdl = hearth::graphql::sdl();
    let mut in_doc = false;
    let mut described = false;
    let mut missing = Vec::new();
    for line in sdl.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("\"\"\"") {
            if rest.len() >= 3 && rest.ends_with("\"\"\"") {
                described = true;
            } else if in_doc {
                in_doc = false;
                described = true;
            } else {
                in_doc = true;
            }
            continue;
        }
        if in_doc {
            continue;
        }
        let structural = t.is_empty()
            || t == "}"
            || t.starts_with(')')
            || t.starts_with("schema")
            || t.starts_with("directive")
            || t.starts_with("query:")
            || t.starts_with("mutation:")
            || t.starts_with("subscription:");
        if !structural && !described {
            missing.push(t.to_string());
        }
        described = false;
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}
