use super::*;
use crate::handler::HandlerResult;
use crate::request::Request;
use crate::response::json_response;
use http::StatusCode;

async fn ok(_: Request) -> HandlerResult {
    Ok(json_response("{}"))
}

fn router() -> Router {
    let mut r = Router::new();
    r.get("/users/{id}", ok).unwrap();
    r.route(Method::DELETE, "/users/{id}", ok).unwrap();
    r.get("/files/{*rest}", ok).unwrap();
    r.post("/items", ok).unwrap();
    r.get("/", ok).unwrap();
    r
}

fn params(r: &Router, method: Method, path: &str) -> Vec<(String, String)> {
    match r.resolve(&method, path).unwrap() {
        Resolved::Handler { params, .. } => params,
        other => panic!("{other:?}"),
    }
}

#[test]
fn matches_params_and_catch_all() {
    let r = router();
    assert_eq!(
        params(&r, Method::GET, "/users/42"),
        [("id".to_owned(), "42".to_owned())]
    );
    assert_eq!(
        params(&r, Method::GET, "/files/a/b%20c.txt"),
        [("rest".to_owned(), "a/b c.txt".to_owned())]
    );
    assert_eq!(
        params(&r, Method::GET, "/users/J%C3%BCrgen"),
        [("id".to_owned(), "Jürgen".to_owned())]
    );
    assert!(params(&r, Method::GET, "/").is_empty());
}

#[test]
fn unknown_path_is_404() {
    let r = router();
    for path in ["/nope", "/users", "/users/1/extra", "/items/1"] {
        assert_eq!(
            r.resolve(&Method::GET, path).unwrap_err().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[test]
fn the_other_slash_is_a_redirect_unless_strict() {
    let mut r = router();
    r.get("/todos/", ok).unwrap();
    let redirect = |r: &Router, path: &str| match r.resolve(&Method::GET, path) {
        Ok(Resolved::Redirect { path }) => Some(path),
        Ok(other) => panic!("{other:?}"),
        Err(problem) => {
            assert_eq!(problem.status(), StatusCode::NOT_FOUND, "{path}");
            None
        }
    };
    assert_eq!(redirect(&r, "/todos").as_deref(), Some("/todos/"));
    assert_eq!(redirect(&r, "/items/").as_deref(), Some("/items"));
    assert_eq!(redirect(&r, "/users/7/").as_deref(), Some("/users/7"));
    assert_eq!(redirect(&r, "/nope/"), None);
    assert_eq!(redirect(&r, "/items//"), None, "one slash at a time");
    // Never to a path a client would read as another host.
    let mut hosts = Router::new();
    hosts.get("/{host}", ok).unwrap();
    assert!(hosts.resolve(&Method::GET, "/evil.com/").is_ok());
    assert_eq!(redirect(&hosts, "//evil.com/"), None);
    r.redirect_slashes(false);
    assert_eq!(redirect(&r, "/todos"), None);
}

#[test]
fn wrong_method_is_405_with_allow() {
    let r = router();
    let problem = r.resolve(&Method::PUT, "/users/1").unwrap_err();
    assert_eq!(problem.status(), StatusCode::METHOD_NOT_ALLOWED);
    let response = problem.into_response();
    assert_eq!(response.headers()["allow"], "GET, DELETE, HEAD, OPTIONS");
    let response = r.resolve(&Method::GET, "/items").unwrap_err().into_response();
    assert_eq!(response.headers()["allow"], "POST, OPTIONS");
}

#[test]
fn head_falls_back_to_get_and_options_is_answered() {
    let r = router();
    assert!(matches!(
        r.resolve(&Method::HEAD, "/users/1"),
        Ok(Resolved::Handler { head: true, .. })
    ));
    assert!(matches!(
        r.resolve(&Method::GET, "/users/1"),
        Ok(Resolved::Handler { head: false, .. })
    ));
    assert_eq!(
        r.resolve(&Method::HEAD, "/items").unwrap_err().status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert!(matches!(
        r.resolve(&Method::OPTIONS, "/items"),
        Ok(Resolved::Options { allow: "POST, OPTIONS" })
    ));
}

#[test]
fn invalid_utf8_in_a_param_is_422() {
    let r = router();
    let problem = r.resolve(&Method::GET, "/users/%FF").unwrap_err();
    assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem.errors()[0].loc,
        [serde_json::json!("path"), serde_json::json!("id")]
    );
}

#[test]
fn bad_routes_fail_at_registration_naming_the_route() {
    let mut r = router();
    let err = r.get("/users/{name}", ok).unwrap_err().to_string();
    assert!(err.contains("GET \"/users/{name}\""), "{err}");
    let err = r.get("/users/{id}", ok).unwrap_err().to_string();
    assert!(err.contains("already registered"), "{err}");
    let err = r.get("no-slash", ok).unwrap_err().to_string();
    assert!(err.contains("must start with '/'"), "{err}");
    let err = r.get("/bad/{", ok).unwrap_err().to_string();
    assert!(err.contains("/bad/{"), "{err}");
}

#[test]
fn too_many_parameters_are_refused_not_a_panic() {
    let path = |n: usize| (0..n).map(|i| format!("/{{p{i}}}")).collect::<String>();
    let mut router = Router::new();
    router.get(&path(25), ok).expect("25 parameters fit");
    let err = router.get(&format!("/x{}", path(26)), ok).unwrap_err();
    assert!(err.to_string().contains("at most 25 parameters"), "{err}");
    // Escaped braces and the catch-all do not count.
    router
        .get(&format!("/y{}/{{{{lit}}}}/{{*rest}}", path(25)), ok)
        .expect("escapes and catch-all");
}
