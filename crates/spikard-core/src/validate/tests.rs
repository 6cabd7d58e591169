use super::*;
use crate::problem::Source;
use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::json;

fn request(uri: &str, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Request {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    Request {
        method: Method::GET,
        uri: uri.parse().unwrap(),
        headers: map,
        path_params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: Bytes::new(),
        peer: None,
    }
}

fn spec(key: &str, source: Source, kind: ParamKind, list: bool, required: bool) -> ParamSpec {
    ParamSpec {
        key: key.into(),
        source,
        kind,
        list,
        required,
        check: None,
    }
}

#[test]
fn coerces_each_kind() {
    use Coerced::*;
    let cases: &[(ParamKind, &str, Coerced)] = &[
        (ParamKind::Int, "42", Int(42)),
        (ParamKind::Int, " -7 ", Int(-7)),
        (ParamKind::Int, "+3", Int(3)),
        (ParamKind::Int, "7.00", Int(7)),
        (
            ParamKind::Int,
            "123456789012345678901234567890",
            BigInt("123456789012345678901234567890".into()),
        ),
        (
            ParamKind::Int,
            "-00099999999999999999999",
            BigInt("-99999999999999999999".into()),
        ),
        (ParamKind::Float, "2.5", Float(2.5)),
        (ParamKind::Float, "1e3", Float(1000.0)),
        (ParamKind::Bool, "true", Bool(true)),
        (ParamKind::Bool, "OFF", Bool(false)),
        (ParamKind::Bool, "1", Bool(true)),
        (ParamKind::Bool, "no", Bool(false)),
        (ParamKind::Str, "héllo", Str("héllo".into())),
        (
            ParamKind::Uuid,
            "a8098c1a-f86e-11da-bd1a-00112444be1e",
            Uuid(0xa8098c1af86e11dabd1a00112444be1e),
        ),
        (
            ParamKind::Uuid,
            "A8098C1AF86E11DABD1A00112444BE1E",
            Uuid(0xa8098c1af86e11dabd1a00112444be1e),
        ),
    ];
    for (kind, text, want) in cases {
        assert_eq!(&coerce(*kind, text).unwrap(), want, "{kind:?} {text:?}");
    }
    for (kind, text, err) in [
        (ParamKind::Int, "ten", "int_parsing"),
        (ParamKind::Int, "1.5", "int_parsing"),
        (ParamKind::Int, "", "int_parsing"),
        (ParamKind::Int, "-", "int_parsing"),
        (ParamKind::Float, "abc", "float_parsing"),
        (ParamKind::Bool, "maybe", "bool_parsing"),
        (ParamKind::Uuid, "not-a-uuid", "uuid_parsing"),
    ] {
        assert_eq!(coerce(kind, text).unwrap_err().kind, err, "{kind:?} {text:?}");
    }
}

#[test]
fn extracts_every_source_and_lists() {
    let req = request(
        "/x?limit=5&ids=1&ids=2&ids=3",
        &[("id", "9")],
        &[("x-token", "abc"), ("cookie", "session=s1; other=2")],
    );
    let specs = [
        spec("id", Source::Path, ParamKind::Int, false, true),
        spec("limit", Source::Query, ParamKind::Int, false, false),
        spec("ids", Source::Query, ParamKind::Int, true, false),
        spec("offset", Source::Query, ParamKind::Int, false, false),
        spec("x-token", Source::Header, ParamKind::Str, false, true),
        spec("session", Source::Cookie, ParamKind::Str, false, true),
    ];
    let values = extract(&specs, &req).unwrap();
    assert_eq!(
        values,
        [
            ParamValue::One(Coerced::Int(9)),
            ParamValue::One(Coerced::Int(5)),
            ParamValue::Many(vec![Coerced::Int(1), Coerced::Int(2), Coerced::Int(3)]),
            ParamValue::Absent,
            ParamValue::One(Coerced::Str("abc".into())),
            ParamValue::One(Coerced::Str("s1".into())),
        ]
    );
}

#[test]
fn reports_every_error_at_once() {
    let req = request("/x?limit=ten&ids=1&ids=x", &[("id", "abc")], &[]);
    let specs = [
        spec("id", Source::Path, ParamKind::Int, false, true),
        spec("limit", Source::Query, ParamKind::Int, false, false),
        spec("ids", Source::Query, ParamKind::Int, true, false),
        spec("q", Source::Query, ParamKind::Str, false, true),
    ];
    let errors = extract(&specs, &req).unwrap_err();
    let summary: Vec<_> = errors
        .iter()
        .map(|e| (e.kind.as_ref(), json!(e.loc), e.input.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("int_parsing", json!(["path", "id"]), json!("abc")),
            ("int_parsing", json!(["query", "limit"]), json!("ten")),
            ("int_parsing", json!(["query", "ids", 1]), json!("x")),
            ("missing", json!(["query", "q"]), json!(null)),
        ]
    );
}
