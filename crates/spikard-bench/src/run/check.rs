//! The runner's own HTTP client (hyper, one request at a time), for readiness probes and
//! the correctness check every workload passes before it is timed.

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

use crate::spec::Workload;

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
}

/// A blocking facade over a current-thread tokio runtime.
#[derive(Debug)]
pub struct Client {
    runtime: tokio::runtime::Runtime,
}

impl Client {
    pub fn new() -> std::io::Result<Client> {
        Ok(Client {
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build()?,
        })
    }

    /// Sends one request on a fresh connection to an `http://127.0.0.1:port/...` URL.
    pub fn send(&self, method: &str, url: &str, body: Option<&[u8]>) -> anyhow::Result<Reply> {
        let uri: http::Uri = url.parse().with_context(|| format!("bad URL {url}"))?;
        let authority = uri.authority().context("URL without host")?.clone();
        self.runtime.block_on(async {
            let io = TcpStream::connect(authority.as_str())
                .await
                .with_context(|| format!("connect {authority}"))?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
            tokio::spawn(conn);
            let mut req = http::Request::builder()
                .method(method)
                .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
                .header("host", authority.as_str());
            if body.is_some() {
                req = req.header("content-type", "application/json");
            }
            let req = req.body(Full::new(Bytes::copy_from_slice(body.unwrap_or_default())))?;
            let response = sender
                .send_request(req)
                .await
                .with_context(|| format!("{method} {url}"))?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.into_body().collect().await?.to_bytes();
            Ok(Reply {
                status,
                content_type,
                body,
            })
        })
    }
}

/// Sends `workload` once and compares the answer with what it must be. The error carries
/// a readable diff.
pub fn check(client: &Client, base_url: &str, workload: &Workload, body: Option<&[u8]>) -> anyhow::Result<()> {
    let reply = client.send(&workload.method, &format!("{base_url}{}", workload.path), body)?;
    let expected = match (&workload.expect.json, body) {
        (Value::String(s), Some(body)) if s == "echo" => {
            serde_json::from_slice(body).with_context(|| format!("the {} payload is not JSON", workload.name))?
        }
        (other, _) => other.clone(),
    };
    let got: Result<Value, _> = serde_json::from_slice(&reply.body);
    let body_ok = got.as_ref().is_ok_and(|v| *v == expected);
    if reply.status == workload.expect.status && body_ok {
        return Ok(());
    }
    let got_text = match &got {
        Ok(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(&reply.body).into_owned(),
    };
    bail!(
        "wrong answer for {} {}\n  expected: HTTP {} {}\n  got:      HTTP {} ({}) {}{}",
        workload.method,
        workload.path,
        workload.expect.status,
        clip(&serde_json::to_string(&expected).unwrap_or_default()),
        reply.status,
        reply.content_type.as_deref().unwrap_or("no content-type"),
        clip(&got_text),
        first_difference(&expected, got.as_ref().ok()),
    )
}

fn clip(s: &str) -> String {
    const MAX: usize = 600;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len())
}

/// Where two JSON documents first differ, as a JSON pointer.
fn first_difference(expected: &Value, got: Option<&Value>) -> String {
    fn walk(a: &Value, b: &Value, at: &str) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, v) in x {
                    match y.get(k) {
                        None => return Some(format!("{at}/{k}: missing")),
                        Some(w) => {
                            if let Some(d) = walk(v, w, &format!("{at}/{k}")) {
                                return Some(d);
                            }
                        }
                    }
                }
                y.keys()
                    .find(|k| !x.contains_key(*k))
                    .map(|k| format!("{at}/{k}: unexpected"))
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| walk(v, w, &format!("{at}/{i}"))),
            _ if a == b => None,
            _ => Some(format!(
                "{}: expected {a}, got {b}",
                if at.is_empty() { "/" } else { at }
            )),
        }
    }
    match got.and_then(|g| walk(expected, g, "")) {
        Some(d) => format!("\n  first difference at {d}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_are_located() {
        let d = first_difference(&json!({"a": [1, {"b": 2}]}), Some(&json!({"a": [1, {"b": 3}]})));
        assert_eq!(d, "\n  first difference at /a/1/b: expected 2, got 3");
        let d = first_difference(&json!({"a": 1}), Some(&json!({"a": 1, "z": 0})));
        assert_eq!(d, "\n  first difference at /z: unexpected");
        assert_eq!(first_difference(&json!(1), Some(&json!(1))), "");
    }
}
