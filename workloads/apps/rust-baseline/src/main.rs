//! The workload endpoints written the way a Rust developer would with hyper alone: match on
//! the path, serde_json for bodies. No Spikard code: this is the ceiling the runner compares
//! every target with.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use clap::Parser;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 8000)]
    port: u16,
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().expect("static"));
    response
}

fn json(value: &Value) -> Response<Full<Bytes>> {
    reply(
        StatusCode::OK,
        serde_json::to_vec(value).expect("a Value always serializes"),
    )
}

fn error(status: StatusCode, detail: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        serde_json::to_vec(&json!({"detail": detail})).expect("serializes"),
    )
}

fn query(req: &Request<Incoming>) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn parse<T: std::str::FromStr>(pairs: &[(String, String)], key: &str, default: T) -> Result<T, String> {
    match get(pairs, key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("invalid {key}")),
    }
}

fn query_many(pairs: &[(String, String)]) -> Result<Value, String> {
    let text = |k: &str, d: &str| get(pairs, k).unwrap_or(d).to_owned();
    Ok(json!({
        "q": text("q", ""),
        "page": parse::<i64>(pairs, "page", 1)?,
        "per_page": parse::<i64>(pairs, "per_page", 20)?,
        "sort": text("sort", "id"),
        "order": text("order", "asc"),
        "active": parse::<bool>(pairs, "active", false)?,
        "min_price": parse::<f64>(pairs, "min_price", 0.0)?,
        "max_price": parse::<f64>(pairs, "max_price", 0.0)?,
        "category": text("category", ""),
        "lang": text("lang", "en"),
    }))
}

/// The body of validated-json-small.
#[derive(Deserialize, Serialize)]
struct Small {
    id: i64,
    name: String,
    active: bool,
    count: i64,
    tags: Vec<String>,
}

/// The body of validated-json-medium: a catalogue of items.
#[derive(Deserialize, Serialize)]
struct Catalogue {
    catalogue: String,
    items: Vec<Item>,
    /// Filler that brings the payload to 5 KiB.
    pad: String,
}

#[derive(Deserialize, Serialize)]
struct Item {
    id: i64,
    sku: String,
    name: String,
    price: f64,
    in_stock: bool,
    tags: Vec<String>,
    dimensions: Dimensions,
    /// Required, and may be null: `deserialize_with` turns off serde's "absent means None".
    #[serde(deserialize_with = "Option::deserialize")]
    note: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct Dimensions {
    w: i64,
    h: i64,
    d: i64,
}

/// The constraints serde's types cannot say, checked after deserializing.
trait Validate {
    /// The first violation, as a message naming the field.
    fn validate(&self) -> Result<(), String>;
}

fn ensure(ok: bool, field: &str, rule: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(format!("{field}: {rule}")) }
}

/// Length in characters (code points), as Python counts it.
fn chars_between(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.chars().count())
}

/// `^SKU-[0-9]{8}$`
fn is_sku(s: &str) -> bool {
    s.len() == 12 && s.starts_with("SKU-") && s.bytes().skip(4).all(|b| b.is_ascii_digit())
}

impl Validate for Small {
    fn validate(&self) -> Result<(), String> {
        ensure(self.id >= 1, "id", "must be >= 1")?;
        ensure(chars_between(&self.name, 1, 64), "name", "must be 1 to 64 characters")?;
        ensure(self.count >= 0, "count", "must be >= 0")?;
        ensure(self.tags.len() <= 16, "tags", "at most 16 items")
    }
}

impl Validate for Catalogue {
    fn validate(&self) -> Result<(), String> {
        ensure(!self.catalogue.is_empty(), "catalogue", "must not be empty")?;
        for (i, item) in self.items.iter().enumerate() {
            item.validate().map_err(|e| format!("items.{i}.{e}"))?;
        }
        Ok(())
    }
}

impl Validate for Item {
    fn validate(&self) -> Result<(), String> {
        ensure(self.id >= 0, "id", "must be >= 0")?;
        ensure(is_sku(&self.sku), "sku", "must match ^SKU-[0-9]{8}$")?;
        ensure(chars_between(&self.name, 1, 128), "name", "must be 1 to 128 characters")?;
        ensure(self.price > 0.0, "price", "must be > 0")?;
        let d = &self.dimensions;
        ensure(d.w >= 0 && d.h >= 0 && d.d >= 0, "dimensions", "must be >= 0")
    }
}

/// Deserializes a `T`, checks it and echoes it re-serialized: 400 for malformed JSON, 422 for
/// JSON of the wrong shape or a broken constraint.
fn validated<T: DeserializeOwned + Serialize + Validate>(body: &[u8]) -> Response<Full<Bytes>> {
    let value: T = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) if e.is_data() => return error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
        Err(_) => return error(StatusCode::BAD_REQUEST, "malformed JSON"),
    };
    match value.validate() {
        Ok(()) => reply(StatusCode::OK, serde_json::to_vec(&value).expect("serializes")),
        Err(detail) => error(StatusCode::UNPROCESSABLE_ENTITY, &detail),
    }
}

async fn read_body(req: Request<Incoming>) -> Result<Bytes, Response<Full<Bytes>>> {
    match req.into_body().collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(_) => Err(error(StatusCode::BAD_REQUEST, "unreadable body")),
    }
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let response = match (req.method().clone(), segments.as_slice()) {
        (Method::POST, ["json", "small" | "medium" | "large" | "xlarge"] | ["async", "json", "small"]) => {
            let body = match read_body(req).await {
                Ok(body) => body,
                Err(response) => return Ok(response),
            };
            match serde_json::from_slice::<Value>(&body) {
                Ok(value) => json(&value),
                Err(_) => error(StatusCode::BAD_REQUEST, "malformed JSON"),
            }
        }
        (Method::POST, ["validated", "json", size @ ("small" | "medium")]) => {
            let body = match read_body(req).await {
                Ok(body) => body,
                Err(response) => return Ok(response),
            };
            if *size == "small" {
                validated::<Small>(&body)
            } else {
                validated::<Catalogue>(&body)
            }
        }
        (Method::GET, ["path", id]) => json(&json!({"id": id})),
        (Method::GET, ["path-multiple", user_id, "posts", post_id]) => {
            json(&json!({"user_id": user_id, "post_id": post_id}))
        }
        (Method::GET, ["path-int", n]) => match n.parse::<i64>() {
            Ok(n) => json(&json!({"n": n})),
            Err(_) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid integer"),
        },
        (Method::GET, ["path-uuid", u]) if is_uuid(u) => json(&json!({"uuid": u.to_ascii_lowercase()})),
        (Method::GET, ["path-uuid", _]) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid UUID"),
        (Method::GET, ["path-deep", a, b, c, d, e]) => json(&json!({"a": a, "b": b, "c": c, "d": d, "e": e})),
        (Method::GET, ["query"]) => {
            let pairs = query(&req);
            match (parse::<i64>(&pairs, "limit", 10), parse::<i64>(&pairs, "offset", 0)) {
                (Ok(limit), Ok(offset)) => json(&json!({"limit": limit, "offset": offset})),
                _ => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid query"),
            }
        }
        (Method::GET, ["query-many"]) => match query_many(&query(&req)) {
            Ok(value) => json(&value),
            Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, &e),
        },
        (Method::GET, ["health"]) => json(&json!({"ok": true})),
        _ => error(StatusCode::NOT_FOUND, "not found"),
    };
    Ok(response)
}

/// Canonical hyphenated form: 8-4-4-4-12 hex digits.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(addr).await?;
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => continue,
        };
        let _ = stream.set_nodelay(true);
        let conn = builder
            .serve_connection(TokioIo::new(stream), service_fn(handle))
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}
