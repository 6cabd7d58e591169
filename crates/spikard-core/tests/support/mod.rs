//! A real client for the server tests: hyper's HTTP/1.1 and HTTP/2 (prior knowledge) over
//! loopback TCP.

#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use tokio::net::TcpStream;

pub struct Reply {
    pub status: u16,
    pub version: http::Version,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

pub fn request(method: &str, path: &str, body: impl Into<Bytes>) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1")
        .body(Full::new(body.into()))
        .unwrap()
}

/// One HTTP/1.1 keep-alive connection.
pub struct H1(http1::SendRequest<Full<Bytes>>);

impl H1 {
    pub async fn connect(addr: SocketAddr) -> H1 {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (send, conn) = http1::handshake(TokioIo::new(stream)).await.expect("h1 handshake");
        tokio::spawn(conn);
        H1(send)
    }

    pub async fn send(&mut self, request: http::Request<Full<Bytes>>) -> Reply {
        self.0.ready().await.expect("connection ready");
        collect(self.0.send_request(request).await.expect("response")).await
    }

    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

/// One HTTP/2 connection without TLS (h2c, prior knowledge).
pub async fn h2(addr: SocketAddr) -> http2::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (send, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .expect("h2 handshake");
    tokio::spawn(conn);
    send
}

pub async fn collect(response: http::Response<hyper::body::Incoming>) -> Reply {
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Reply {
        status: parts.status.as_u16(),
        version: parts.version,
        headers: parts.headers,
        body,
    }
}

/// Sends one request on a fresh HTTP/1.1 connection.
pub async fn send(addr: SocketAddr, request: http::Request<Full<Bytes>>) -> Reply {
    H1::connect(addr).await.send(request).await
}

/// Stops a server without blocking the test's runtime, so client connection tasks on it can
/// answer the server's close (an HTTP/2 GOAWAY) and the drain finishes at once.
pub async fn stop(server: spikard_core::ServerHandle) {
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .expect("join")
        .expect("clean stop");
}
