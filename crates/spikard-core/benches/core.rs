//! Criterion benchmarks of the request path's Rust steps: JSON parse and re-encode at three
//! sizes, route resolution, parameter extraction and schema validation. Each checks its result before timing.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, Method};
use spikard_core::json::{JsonDocument, write_nodes};
use spikard_core::problem::Source;
use spikard_core::validate::{ParamKind, ParamSpec, ParamValue, extract};
use spikard_core::{HandlerResult, Request, Router, json_response};

fn payload(name: &str) -> Vec<u8> {
    let path = format!("{}/../../workloads/payloads/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(c: &mut Criterion) {
    let mut group = c.benchmark_group("json");
    for name in ["json-small", "json-medium", "json-large", "json-xlarge"] {
        let body = payload(name);
        let mut out = Vec::new();
        let doc = JsonDocument::parse(&body).expect("payload parses");
        write_nodes(&mut out, doc.nodes());
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&out).unwrap(),
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()
        );
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| JsonDocument::parse(black_box(&body)).expect("parses"))
        });
        // simd-json alone (copy, stage 1, stage 2; buffers and tape reused as the document
        // pool reuses them), for comparison with the single-pass parser
        // `JsonDocument::parse` tries first.
        let (mut copy, mut buffers, mut nodes) = (body.clone(), simd_json::Buffers::default(), Vec::new());
        group.bench_function(format!("simd-json/{name}"), |b| {
            b.iter(|| {
                copy.copy_from_slice(black_box(&body));
                let mut tape = simd_json::tape::Tape(std::mem::take(&mut nodes));
                simd_json::fill_tape(&mut copy, &mut buffers, &mut tape).expect("parses");
                let count = tape.0.len();
                nodes = tape.reset().0;
                count
            })
        });
        group.bench_function(format!("parse+encode/{name}"), |b| {
            b.iter(|| {
                let doc = JsonDocument::parse(black_box(&body)).expect("parses");
                let mut out = Vec::with_capacity(body.len());
                write_nodes(&mut out, doc.nodes());
                out
            })
        });
    }
    group.finish();
}

async fn ok(_: Request) -> HandlerResult {
    Ok(json_response("{}"))
}

fn routing(c: &mut Criterion) {
    let mut router = Router::new();
    for path in [
        "/json/small",
        "/path/{id}",
        "/path-deep/{a}/{b}/{c}/{d}/{e}",
        "/query",
        "/users/{id}/posts/{post}",
    ] {
        router.get(path, ok).expect("route");
    }
    assert!(router.resolve(&Method::GET, "/path-deep/1/2/3/4/5").is_ok());
    c.bench_function("router/resolve-deep", |b| {
        b.iter(|| {
            router
                .resolve(black_box(&Method::GET), black_box("/path-deep/a1/b2/c3/d4/e5"))
                .is_ok()
        })
    });
    c.bench_function("router/not-found", |b| {
        b.iter(|| {
            router
                .resolve(black_box(&Method::GET), black_box("/nope/nothing"))
                .is_err()
        })
    });
}

fn params(c: &mut Criterion) {
    let req = Request {
        method: Method::GET,
        uri: "/query-many?q=search&page=2&per_page=50&sort=name&order=asc&active=true&min_price=9.5"
            .parse()
            .unwrap(),
        headers: HeaderMap::new(),
        path_params: vec![("id".into(), "a8098c1a-f86e-11da-bd1a-00112444be1e".into())],
        body: Bytes::new(),
        peer: None,
    };
    let q = |k: &str, kind| ParamSpec {
        key: k.into(),
        source: Source::Query,
        kind,
        list: false,
        required: false,
        check: None,
    };
    let specs = vec![
        ParamSpec {
            key: "id".into(),
            source: Source::Path,
            kind: ParamKind::Uuid,
            list: false,
            required: true,
            check: None,
        },
        q("q", ParamKind::Str),
        q("page", ParamKind::Int),
        q("per_page", ParamKind::Int),
        q("active", ParamKind::Bool),
        q("min_price", ParamKind::Float),
    ];
    let values = extract(&specs, &req).expect("valid");
    assert!(values.iter().all(|v| matches!(v, ParamValue::One(_))));
    c.bench_function("validate/extract-6-params", |b| {
        b.iter(|| extract(black_box(&specs), black_box(&req)))
    });
}

/// JSON Schema validation of the validated-json workloads' bodies on the tape (the
/// parse itself is `json/parse/...`).
fn schema(c: &mut Criterion) {
    use spikard_core::schema::{Schema, TapeView};
    let mut group = c.benchmark_group("schema");
    for (name, workload) in [
        ("json-small", "validated-json-small"),
        ("json-medium", "validated-json-medium"),
    ] {
        let body = payload(name);
        let path = format!("{}/../../workloads/schemas/{workload}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let schema = Schema::compile(&serde_json::from_slice(&text).expect("JSON")).expect("compiles");
        let doc = JsonDocument::parse(&body).expect("payload parses");
        let mut errors = Vec::new();
        schema.validate(TapeView(doc.nodes()), Source::Body, &[], &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("validate/{name}"), |b| {
            b.iter(|| {
                let mut errors = Vec::new();
                schema.validate(TapeView(black_box(doc.nodes())), Source::Body, &[], &mut errors);
                errors
            })
        });
    }
    group.finish();
}

criterion_group!(benches, json, routing, params, schema);
criterion_main!(benches);
