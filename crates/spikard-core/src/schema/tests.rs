use serde_json::{Value, json};

use super::*;
use crate::json::JsonDocument;

fn errors(schema: Value, value: Value) -> Vec<Value> {
    let schema = Schema::compile(&schema).expect("compiles");
    let mut errors = Vec::new();
    schema.validate(&value, Source::Body, &[], &mut errors);
    // The same value on a simd-json tape gives the same errors.
    let doc = JsonDocument::parse(value.to_string().as_bytes()).expect("parses");
    let mut on_tape = Vec::new();
    schema.validate(TapeView(doc.nodes()), Source::Body, &[], &mut on_tape);
    assert_eq!(errors, on_tape, "tape and serde_json disagree for {value}");
    errors
        .iter()
        .map(|e| json!({"type": e.kind, "loc": e.loc, "msg": e.msg, "input": e.input, "ctx": e.ctx.as_deref()}))
        .collect()
}

fn kinds(schema: Value, value: Value) -> Vec<String> {
    errors(schema, value)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn types_and_constraints() {
    let cases: Vec<(Value, Value, Vec<&str>)> = vec![
        (json!({"type": "integer"}), json!(3), vec![]),
        (json!({"type": "integer"}), json!(3.5), vec!["int_from_float"]),
        (json!({"type": "integer"}), json!(2.0), vec![]),
        (
            json!({"type": "integer", "minimum": 0, "multipleOf": 2}),
            json!(-3),
            vec!["multiple_of"],
        ),
        (
            json!({"type": "string", "minLength": 3, "pattern": "^[a-z]+$"}),
            json!("A"),
            vec!["string_too_short"],
        ),
        (
            json!({"type": ["number", "string"], "format": "decimal", "maximum": 10}),
            json!("11.5"),
            vec!["less_than_equal"],
        ),
        (
            json!({"type": ["number", "string"], "format": "decimal"}),
            json!(true),
            vec!["decimal_type"],
        ),
        (json!({"type": "integer"}), json!("3"), vec!["int_type"]),
        (json!({"type": "number"}), json!(3), vec![]),
        (json!({"type": "number"}), json!(true), vec!["float_type"]),
        (json!({"type": "string"}), json!(1), vec!["string_type"]),
        (json!({"type": "boolean"}), json!("true"), vec!["bool_type"]),
        (json!({"type": "object"}), json!([]), vec!["dict_type"]),
        (json!({"type": "array"}), json!({}), vec!["list_type"]),
        (json!({"type": ["string", "null"]}), json!(null), vec![]),
        (
            json!({"type": "integer", "minimum": 1}),
            json!(0),
            vec!["greater_than_equal"],
        ),
        (
            json!({"type": "integer", "exclusiveMinimum": 1}),
            json!(1),
            vec!["greater_than"],
        ),
        (
            json!({"type": "integer", "maximum": 1}),
            json!(2),
            vec!["less_than_equal"],
        ),
        (
            json!({"type": "number", "exclusiveMaximum": 1.5}),
            json!(1.5),
            vec!["less_than"],
        ),
        (
            json!({"type": "integer", "multipleOf": 3}),
            json!(7),
            vec!["multiple_of"],
        ),
        (json!({"type": "number", "multipleOf": 0.1}), json!(0.3), vec![]),
        (
            json!({"type": "string", "minLength": 2}),
            json!("é"),
            vec!["string_too_short"],
        ),
        (
            json!({"type": "string", "maxLength": 2}),
            json!("ééé"),
            vec!["string_too_long"],
        ),
        (json!({"type": "string", "maxLength": 2}), json!("éé"), vec![]),
        (
            json!({"type": "string", "pattern": "^[a-z]+$"}),
            json!("abc1"),
            vec!["string_pattern_mismatch"],
        ),
        (json!({"enum": ["a", "b"]}), json!("c"), vec!["enum"]),
        (json!({"enum": [1, 2]}), json!(2), vec![]),
        (json!({"const": "x"}), json!("y"), vec!["literal_error"]),
        (
            json!({"type": "array", "items": {"type": "integer"}, "minItems": 2}),
            json!([1]),
            vec!["too_short"],
        ),
        (json!({"type": "array", "maxItems": 1}), json!([1, 2]), vec!["too_long"]),
        (
            json!({"type": "array", "items": {"type": "integer"}}),
            json!([1, "x", 2.5]),
            vec!["int_type", "int_from_float"],
        ),
        (
            json!({"anyOf": [{"type": "integer"}, {"type": "null"}]}),
            json!(null),
            vec![],
        ),
        (
            json!({"anyOf": [{"type": "integer", "minimum": 5}, {"type": "null"}]}),
            json!(1),
            vec!["greater_than_equal"],
        ),
        (
            json!({"oneOf": [{"type": "integer"}, {"type": "number"}]}),
            json!(1),
            vec!["union_tag_invalid"],
        ),
        (
            json!({"allOf": [{"minimum": 1}, {"maximum": 3}]}),
            json!(5),
            vec!["less_than_equal"],
        ),
        (json!(false), json!(1), vec!["value_error"]),
        (json!(true), json!({"anything": [1]}), vec![]),
    ];
    for (schema, value, want) in cases {
        assert_eq!(kinds(schema.clone(), value.clone()), want, "{schema} {value}");
    }
}

#[test]
fn formats() {
    let ok = [
        ("uuid", "a8098c1a-f86e-11da-bd1a-00112444be1e"),
        ("date", "2024-02-29"),
        ("time", "23:59:59.123456+05:30"),
        ("time", "07:05"),
        ("date-time", "2024-01-02T03:04:05Z"),
        ("date-time", "2024-01-02 03:04:05.5-01:00"),
        ("decimal", "-12.50"),
        ("decimal", ".5e-3"),
    ];
    for (format, text) in ok {
        assert_eq!(
            kinds(json!({"type": "string", "format": format}), json!(text)),
            Vec::<String>::new(),
            "{format} {text}"
        );
    }
    let bad = [
        ("uuid", "nope", "uuid_parsing"),
        ("date", "2023-02-29", "date_parsing"),
        ("date", "2024-1-02", "date_parsing"),
        ("time", "24:00", "time_parsing"),
        ("time", "12:00:00.1234567", "time_parsing"),
        ("date-time", "2024-01-02", "datetime_parsing"),
        ("date-time", "2024-01-02T03:04:05+25:00", "datetime_parsing"),
        ("decimal", "1.2.3", "decimal_parsing"),
        ("decimal", "NaN", "decimal_parsing"),
    ];
    for (format, text, kind) in bad {
        assert_eq!(
            kinds(json!({"type": "string", "format": format}), json!(text)),
            vec![kind],
            "{format} {text}"
        );
    }
    // Unknown formats are annotations.
    assert!(kinds(json!({"type": "string", "format": "email"}), json!("x")).is_empty());
}

#[test]
fn objects_report_every_error_with_its_location() {
    let schema = json!({
        "$ref": "#/$defs/Order",
        "$defs": {
            "Item": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}, "required": ["sku", "qty"]},
            "Order": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
                "required": ["id", "items"],
                "additionalProperties": false
            }
        }
    });
    let got = errors(
        schema,
        json!({"items": [{"sku": "a", "qty": 0}, {"qty": 2}], "note": "hi"}),
    );
    assert_eq!(
        got,
        vec![
            json!({"type": "missing", "loc": ["body", "id"], "msg": "Field required", "input": {"items": [{"sku": "a", "qty": 0}, {"qty": 2}], "note": "hi"}, "ctx": null}),
            json!({"type": "greater_than_equal", "loc": ["body", "items", 0, "qty"], "msg": "Input should be greater than or equal to 1", "input": 0, "ctx": {"ge": 1}}),
            json!({"type": "missing", "loc": ["body", "items", 1, "sku"], "msg": "Field required", "input": {"qty": 2}, "ctx": null}),
            json!({"type": "extra_forbidden", "loc": ["body", "note"], "msg": "Extra inputs are not permitted", "input": "hi", "ctx": null}),
        ]
    );
}

#[test]
fn messages_follow_pydantic() {
    let e = &errors(json!({"type": "string", "minLength": 1}), json!(""))[0];
    assert_eq!(e["msg"], "String should have at least 1 character");
    let e = &errors(json!({"enum": ["red", "green", "blue"]}), json!("x"))[0];
    assert_eq!(e["msg"], "Input should be 'red', 'green' or 'blue'");
    assert_eq!(e["ctx"], json!({"expected": "'red', 'green' or 'blue'"}));
    let e = &errors(json!({"type": "array", "minItems": 2}), json!([1]))[0];
    assert_eq!(e["msg"], "List should have at least 2 items after validation, not 1");
    assert_eq!(
        e["ctx"],
        json!({"field_type": "List", "min_length": 2, "actual_length": 1})
    );
}

#[test]
fn recursive_refs_and_bad_schemas() {
    let tree = json!({"$defs": {"Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}}, "$ref": "#/$defs/Node"});
    assert_eq!(
        kinds(tree, json!({"children": [{"children": [{"children": 1}]}]})),
        vec!["list_type"]
    );
    for (schema, fragment) in [
        (
            json!({"type": "integer", "if": {}}),
            "unsupported JSON Schema keyword \"if\"",
        ),
        (json!({"$ref": "#/$defs/Missing"}), "does not resolve"),
        (json!({"type": "strin"}), "unknown type"),
        (json!({"pattern": "("}), "invalid pattern"),
        (json!({"multipleOf": 0}), "greater than 0"),
        (json!({"$ref": "#"}), "cycle"),
        (
            json!({"$defs": {"A": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]}}, "$ref": "#/$defs/A"}),
            "cycle",
        ),
    ] {
        let err = Schema::compile(&schema).unwrap_err();
        assert!(err.0.contains(fragment), "{schema}: {err}");
    }
    assert!(Schema::compile(&json!({"title": "x"})).unwrap().accepts_anything());
}

#[test]
fn a_key_sent_twice_is_judged_by_its_last_value() {
    // As the handler's dict (and pydantic) see it: the last value wins, on the tape as on a
    // serde_json value (found by the schema fuzz target).
    let schema = Schema::compile(&json!({
        "type": "object",
        "properties": {"note": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["n"],
    }))
    .unwrap();
    for (text, kinds) in [
        (r#"{"n": 1, "note": true, "note": "fine"}"#, vec![]),
        (r#"{"n": 1, "note": "fine", "note": true}"#, vec!["string_type"]),
        (r#"{"n": "x", "note": 1, "n": 2, "note": "ok"}"#, vec![]),
        (r#"{"n": 2, "n": "x"}"#, vec!["int_type"]),
    ] {
        let doc = crate::json::JsonDocument::parse(text.as_bytes()).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        let (mut on_tape, mut on_value) = (Vec::new(), Vec::new());
        schema.validate(TapeView(doc.nodes()), Source::Body, &[], &mut on_tape);
        schema.validate(&value, Source::Body, &[], &mut on_value);
        assert_eq!(on_tape, on_value, "{text}");
        assert_eq!(
            on_tape.iter().map(|e| e.kind.as_ref()).collect::<Vec<_>>(),
            kinds,
            "{text}"
        );
    }
}
