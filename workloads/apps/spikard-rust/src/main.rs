//! The workload endpoints on spikard-core, from Rust: routing, body limits, simd-json
//! parsing, parameter validation and problem+json errors all come from the framework. The
//! difference between this target and `rust-baseline` is Spikard's own overhead.

use clap::Parser;
use spikard_core::json::{write_f64, write_i64, write_nodes, write_str};
use spikard_core::problem::Source;
use spikard_core::schema::Schema;
use spikard_core::validate::{BodyPlan, Coerced, JsonBody, ParamKind, ParamSpec, ParamValue, RequestPlan, extract};
use spikard_core::{HandlerResult, Problem, Request, Router, ServerConfig, json_response, shutdown_signal};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 8000)]
    port: u16,
}

/// A JSON object written field by field.
struct Obj(Vec<u8>);

impl Obj {
    fn new() -> Self {
        Obj(vec![b'{'])
    }

    fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if self.0.len() > 1 {
            self.0.push(b',');
        }
        write_str(&mut self.0, k);
        self.0.push(b':');
        &mut self.0
    }

    fn value(&mut self, k: &str, v: &Coerced) {
        let out = self.key(k);
        match v {
            Coerced::Str(s) => write_str(out, s),
            Coerced::Int(n) => write_i64(out, *n),
            Coerced::BigInt(digits) => out.extend_from_slice(digits.as_bytes()),
            Coerced::Float(f) => {
                if !write_f64(out, *f) {
                    out.extend_from_slice(b"null");
                }
            }
            Coerced::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Coerced::Uuid(u) => {
                let mut text = uuid::Uuid::encode_buffer();
                write_str(out, uuid::Uuid::from_u128(*u).hyphenated().encode_lower(&mut text));
            }
        }
    }

    fn finish(mut self) -> HandlerResult {
        self.0.push(b'}');
        Ok(json_response(self.0))
    }
}

fn spec(key: &str, source: Source, kind: ParamKind, required: bool) -> ParamSpec {
    ParamSpec {
        key: key.to_owned(),
        source,
        kind,
        list: false,
        required,
        check: None,
    }
}

/// Validates `specs` and writes each as a field, `defaults` filling absent optional ones.
fn params_object(req: &Request, specs: &[ParamSpec], defaults: &[Coerced]) -> HandlerResult {
    let values = extract(specs, req).map_err(Problem::validation)?;
    let mut obj = Obj::new();
    for ((spec, value), default) in specs.iter().zip(&values).zip(defaults) {
        match value {
            ParamValue::One(v) => obj.value(&spec.key, v),
            _ => obj.value(&spec.key, default),
        }
    }
    obj.finish()
}

/// A route that takes a JSON body, checked against `schema` if there is one.
fn body_plan(schema: Option<Schema>) -> RequestPlan {
    RequestPlan {
        params: Vec::new(),
        body: Some(BodyPlan { schema, required: true }),
    }
}

/// The echo of the body `plan` reads: 415, 400, or a 422 listing every error, if it is not
/// what the plan asks for.
fn echo(plan: &RequestPlan, req: &Request) -> HandlerResult {
    let body = plan.extract(req)?.body;
    let mut out = Vec::with_capacity(req.body.len());
    match body {
        Some(JsonBody::Tape(doc)) => {
            write_nodes(&mut out, doc.nodes());
        }
        // Valid JSON with integers past 64 bits: echoed as it came.
        Some(JsonBody::BigIntegers(text)) => out.extend_from_slice(&text),
        None => out.extend_from_slice(b"null"),
    }
    Ok(json_response(out))
}

/// The validated-json-small and -medium bodies' schemas (the constraints of `Small` and
/// `Catalogue` in workloads/apps/python/app.py), shared with the core's criterion benches.
const SMALL_SCHEMA: &str = include_str!("../../../schemas/validated-json-small.json");
const MEDIUM_SCHEMA: &str = include_str!("../../../schemas/validated-json-medium.json");

fn router() -> Router {
    use Coerced::{Bool, Float, Int, Str};
    use ParamKind as K;
    let mut r = Router::new();
    // Rust handlers are all async: /async/json/small is the same echo.
    let echoes = ["small", "medium", "large", "xlarge"].map(|size| (format!("/json/{size}"), None));
    // Each schema is compiled once, here; the handler borrows it for every request.
    let validated = [("small", SMALL_SCHEMA), ("medium", MEDIUM_SCHEMA)].map(|(size, schema)| {
        let schema: serde_json::Value = serde_json::from_str(schema).expect("schema files are JSON");
        let schema = Schema::compile(&schema).expect("a valid schema");
        (format!("/validated/json/{size}"), Some(schema))
    });
    let async_echo = [("/async/json/small".to_owned(), None)];
    for (path, schema) in echoes.into_iter().chain(validated).chain(async_echo) {
        let plan = body_plan(schema);
        r.post(&path, move |req: Request| {
            let result = echo(&plan, &req);
            async move { result }
        })
        .expect("route");
    }
    r.get("/path/{id}", |req: Request| async move {
        params_object(&req, &[spec("id", Source::Path, K::Str, true)], &[Str(String::new())])
    })
    .expect("route");
    r.get("/path-multiple/{user_id}/posts/{post_id}", |req: Request| async move {
        let specs = [
            spec("user_id", Source::Path, K::Str, true),
            spec("post_id", Source::Path, K::Str, true),
        ];
        params_object(&req, &specs, &[Str(String::new()), Str(String::new())])
    })
    .expect("route");
    r.get("/path-int/{n}", |req: Request| async move {
        params_object(&req, &[spec("n", Source::Path, K::Int, true)], &[Int(0)])
    })
    .expect("route");
    r.get("/path-uuid/{uuid}", |req: Request| async move {
        params_object(&req, &[spec("uuid", Source::Path, K::Uuid, true)], &[Int(0)])
    })
    .expect("route");
    r.get("/path-deep/{a}/{b}/{c}/{d}/{e}", |req: Request| async move {
        let specs: Vec<_> = ["a", "b", "c", "d", "e"]
            .map(|k| spec(k, Source::Path, K::Str, true))
            .into();
        params_object(&req, &specs, &vec![Str(String::new()); 5])
    })
    .expect("route");
    r.get("/query", |req: Request| async move {
        let specs = [
            spec("limit", Source::Query, K::Int, false),
            spec("offset", Source::Query, K::Int, false),
        ];
        params_object(&req, &specs, &[Int(10), Int(0)])
    })
    .expect("route");
    r.get("/query-many", |req: Request| async move {
        let q = |k, kind| spec(k, Source::Query, kind, false);
        let specs = [
            q("q", K::Str),
            q("page", K::Int),
            q("per_page", K::Int),
            q("sort", K::Str),
            q("order", K::Str),
            q("active", K::Bool),
            q("min_price", K::Float),
            q("max_price", K::Float),
            q("category", K::Str),
            q("lang", K::Str),
        ];
        let defaults = [
            Str(String::new()),
            Int(1),
            Int(20),
            Str("id".into()),
            Str("asc".into()),
            Bool(false),
            Float(0.0),
            Float(0.0),
            Str(String::new()),
            Str("en".into()),
        ];
        params_object(&req, &specs, &defaults)
    })
    .expect("route");
    r.get("/health", |_req: Request| async { Ok(json_response(r#"{"ok":true}"#)) })
        .expect("route");
    r
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let addr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(std::io::Error::other)?;
    let config = ServerConfig {
        addr,
        ..ServerConfig::default()
    };
    spikard_core::Server::bind(router(), config)
        .await?
        .run(shutdown_signal())
        .await
}
