//! A Spikard server written in Rust alone: no Python anywhere.
//!
//! Run it with `cargo run -p spikard-core --example hello`, then:
//!
//! ```text
//! curl http://127.0.0.1:3000/hello/world
//! curl -X POST http://127.0.0.1:3000/echo -H 'content-type: application/json' -d '{"a":1}'
//! ```

use spikard_core::{HandlerResult, Request, Router, ServerConfig, json_response, shutdown_signal};

/// Path parameters arrive percent-decoded, by name.
async fn hello(req: Request) -> HandlerResult {
    let name = req.path_param("name").unwrap_or("stranger");
    let mut body = Vec::new();
    body.extend_from_slice(b"{\"hello\":");
    spikard_core::json::write_str(&mut body, name);
    body.push(b'}');
    Ok(json_response(body))
}

/// The body has already been read under the size limit; check it is JSON and echo it.
async fn echo(req: Request) -> HandlerResult {
    // Errors are problems: the core renders them as RFC 9457 problem+json.
    spikard_core::json::JsonDocument::parse(&req.body)?;
    Ok(json_response(req.body))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    env_logger::init();

    // 1. Build the route table. Bad paths fail here, not at request time.
    let mut router = Router::new();
    router.get("/hello/{name}", hello).expect("valid route");
    router.post("/echo", echo).expect("valid route");

    // 2. Bind: defaults are a 10 MiB body limit and a 10 s shutdown drain.
    let config = ServerConfig {
        addr: "127.0.0.1:3000".parse().expect("address"),
        ..ServerConfig::default()
    };
    let server = spikard_core::Server::bind(router, config).await?;
    println!("listening on http://{}", server.local_addr()?);

    // 3. Serve until Ctrl-C or SIGTERM, then drain in-flight requests and exit.
    server.run(shutdown_signal()).await
}
