//! The server through a real client on loopback: routing, keep-alive, h2c, limits, HEAD,
//! OPTIONS, panics and graceful shutdown.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use spikard_core::{HandlerResult, Request, Router, ServerConfig, json_response, spawn};
use support::{H1, request, send};
use tokio::sync::Notify;

async fn echo(req: Request) -> HandlerResult {
    Ok(json_response(req.body))
}

async fn user(req: Request) -> HandlerResult {
    Ok(json_response(format!(
        r#"{{"id":"{}"}}"#,
        req.path_param("id").unwrap_or_default()
    )))
}

async fn boom(_: Request) -> HandlerResult {
    panic!("handler bug")
}

fn config(body_limit: usize) -> ServerConfig {
    ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        body_limit,
        workers: 2,
        ..ServerConfig::default()
    }
}

fn router() -> Router {
    let mut r = Router::new();
    r.post("/echo", echo).unwrap();
    r.get("/users/{id}", user).unwrap();
    r.get("/boom", boom).unwrap();
    r
}

#[tokio::test]
async fn keep_alive_serves_many_requests_on_one_connection() {
    let server = spawn(router(), config(1024)).unwrap();
    let mut conn = H1::connect(server.addr()).await;
    for i in 0..5 {
        let reply = conn.send(request("GET", &format!("/users/{i}"), "")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["id"], i.to_string());
        assert_eq!(reply.version, http::Version::HTTP_11);
    }
    // Errors do not close the connection either.
    assert_eq!(conn.send(request("GET", "/missing", "")).await.status, 404);
    assert_eq!(conn.send(request("GET", "/users/7", "")).await.status, 200);
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn h2c_prior_knowledge() {
    let server = spawn(router(), config(1024)).unwrap();
    let mut h2 = support::h2(server.addr()).await;
    let mut pending = Vec::new();
    for i in 0..3 {
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("http://{}/echo", server.addr()))
            .body(http_body_util::Full::new(Bytes::from(format!("[{i}]"))))
            .unwrap();
        pending.push(h2.send_request(req));
    }
    for (i, fut) in pending.into_iter().enumerate() {
        let reply = support::collect(fut.await.unwrap()).await;
        assert_eq!(reply.version, http::Version::HTTP_2);
        assert_eq!(reply.status, 200);
        assert_eq!(&reply.body[..], format!("[{i}]").as_bytes());
    }
    support::stop(server).await;
}

#[tokio::test]
async fn errors_are_problem_json() {
    let server = spawn(router(), config(1024)).unwrap();
    let addr = server.addr();

    let reply = send(addr, request("GET", "/nope", "")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.headers["content-type"], "application/problem+json");
    assert_eq!(reply.json()["type"], "https://spikard.dev/errors/not-found");

    let reply = send(addr, request("DELETE", "/users/1", "")).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.headers["allow"], "GET, HEAD, OPTIONS");
    assert_eq!(reply.json()["status"], 405);

    let reply = send(addr, request("GET", "/boom", "")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["title"], "Internal Server Error");
    assert!(!String::from_utf8_lossy(&reply.body).contains("handler bug"));
    // The server survives the panic.
    assert_eq!(send(addr, request("GET", "/users/1", "")).await.status, 200);
}

#[tokio::test]
async fn body_limit_is_413_with_or_without_content_length() {
    let server = spawn(router(), config(1024)).unwrap();
    let addr = server.addr();
    assert_eq!(send(addr, request("POST", "/echo", vec![b'1'; 1024])).await.status, 200);

    let reply = send(addr, request("POST", "/echo", vec![b'1'; 1025])).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json()["type"], "https://spikard.dev/errors/payload-too-large");

    // A chunked body (no Content-Length) is cut off as soon as it passes the limit.
    let stream = Chunked(vec![Bytes::from(vec![b'1'; 800]), Bytes::from(vec![b'1'; 800])].into_iter());
    let req = http::Request::builder()
        .method("POST")
        .uri("/echo")
        .header("host", "x")
        .body(stream)
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let reply = support::collect(sender.send_request(req).await.unwrap()).await;
    assert_eq!(reply.status, 413);

    assert_eq!(send(addr, request("POST", "/echo", "{}")).await.status, 200);
}

/// A body of several frames sent without a Content-Length (chunked on the wire).
struct Chunked(std::vec::IntoIter<Bytes>);

impl http_body::Body for Chunked {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.next().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

#[tokio::test]
async fn head_and_options() {
    let server = spawn(router(), config(1024)).unwrap();
    let addr = server.addr();
    let get = send(addr, request("GET", "/users/abc", "")).await;
    let head = send(addr, request("HEAD", "/users/abc", "")).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.headers["content-length"], get.body.len().to_string());
    assert_eq!(head.headers["content-type"], "application/json");

    let options = send(addr, request("OPTIONS", "/users/abc", "")).await;
    assert_eq!(options.status, 204);
    assert_eq!(options.headers["allow"], "GET, HEAD, OPTIONS");
}

#[tokio::test]
async fn graceful_shutdown_drains_in_flight_requests() {
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let mut r = Router::new();
    {
        let (entered, release) = (entered.clone(), release.clone());
        r.route(Method::GET, "/slow", move |_req: Request| {
            let (entered, release) = (entered.clone(), release.clone());
            async move {
                entered.notify_one();
                release.notified().await;
                Ok(json_response("\"done\""))
            }
        })
        .unwrap();
    }
    let server = spawn(r, config(1024)).unwrap();
    let addr = server.addr();
    let in_flight = tokio::spawn(async move { send(addr, request("GET", "/slow", "")).await });
    entered.notified().await;

    // Stop while the request is in flight: the server stops accepting at once...
    let stopping = tokio::task::spawn_blocking(move || server.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown began"
    );
    assert!(
        !stopping.is_finished(),
        "shutdown did not wait for the in-flight request"
    );

    // ...and the request in flight still gets its answer before the server exits.
    release.notify_one();
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(&reply.body[..], b"\"done\"");
    stopping.await.unwrap().unwrap();
}

#[tokio::test]
async fn framing_headers_a_handler_sets_are_dropped() {
    let mut r = Router::new();
    r.get("/framed", |_req: Request| async {
        let mut response = json_response(r#"{"ok":true}"#);
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from_static("0"));
        headers.insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
        headers.insert(
            http::header::TRANSFER_ENCODING,
            http::HeaderValue::from_static("chunked"),
        );
        Ok(response)
    })
    .unwrap();
    let server = spawn(r, config(1024)).unwrap();
    let mut conn = H1::connect(server.addr()).await;
    for _ in 0..3 {
        // The server frames the body: the same connection stays in step.
        let reply = conn.send(request("GET", "/framed", "")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(&reply.body[..], br#"{"ok":true}"#);
        assert_eq!(reply.headers[http::header::CONTENT_LENGTH], "11");
        assert!(!reply.headers.contains_key(http::header::TRANSFER_ENCODING));
    }
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn idle_h2c_connections_are_closed_after_the_keep_alive_timeout() {
    let server = spawn(
        router(),
        ServerConfig {
            keep_alive_timeout: Duration::from_millis(300),
            ..config(1024)
        },
    )
    .unwrap();
    let mut h2 = support::h2(server.addr()).await;
    let reply = support::collect(h2.send_request(request("GET", "/users/1", "")).await.unwrap()).await;
    assert_eq!(reply.status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = h2.send_request(request("GET", "/users/2", "")).await;
    assert!(again.is_err(), "the idle h2c connection was not closed");
}

/// A request body that sends its first bytes and then nothing, without ending.
struct Stalled(bool);

impl http_body::Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if std::mem::replace(&mut self.0, true) {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"{\"a\"")))))
        }
    }
}

#[tokio::test]
async fn a_stalled_body_is_408_on_h2c_too() {
    let server = spawn(
        router(),
        ServerConfig {
            body_timeout: Duration::from_millis(300),
            ..config(1024)
        },
    )
    .unwrap();
    let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let response = send
        .send_request(http::Request::post("/echo").body(Stalled(false)).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 408);
}

#[tokio::test]
async fn an_h2c_client_that_never_opens_its_window_is_dropped() {
    let mut r = Router::new();
    r.get("/big", |_req: Request| async {
        Ok(json_response(vec![b'1'; 256 * 1024]))
    })
    .unwrap();
    let server = spawn(
        r,
        ServerConfig {
            body_timeout: Duration::from_millis(300),
            keep_alive_timeout: Duration::from_millis(300),
            ..config(1024)
        },
    )
    .unwrap();
    let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    // hyper hands the buffered body to h2 and drops it; what waits for the window is then
    // h2's, and the connection counts as idle: closed at the keep-alive timeout unless a
    // write goes through. A window smaller than the body that the client never widens: the response waits on
    // flow control without a single write being refused.
    let (mut send, conn) = hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
        .initial_stream_window_size(1024)
        .initial_connection_window_size(1024)
        .handshake::<_, http_body_util::Empty<Bytes>>(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let response = send
        .send_request(http::Request::get("/big").body(http_body_util::Empty::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Hold the body without reading it (which would widen the window), then look.
    let body = response.into_body();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    use http_body_util::BodyExt;
    let read = tokio::time::timeout(Duration::from_secs(5), body.collect()).await;
    assert!(
        matches!(read, Ok(Err(_))),
        "the connection was not closed: {:?}",
        read.map(|r| r.map(|c| c.to_bytes().len()))
    );
}
