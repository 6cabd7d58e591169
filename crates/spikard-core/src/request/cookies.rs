//! `Cookie` request headers (RFC 6265 §5.4: `name=value` pairs separated by `; `).

use http::HeaderMap;

/// Every cookie in every `Cookie` header, in order. Values keep their bytes (read as UTF-8,
/// or Latin-1 when they are not UTF-8); surrounding
/// double quotes are removed as RFC 6265 allows. Pairs without `=` are ignored.
pub fn parse_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut cookies = Vec::new();
    for line in headers.get_all(http::header::COOKIE) {
        for pair in super::header_text(line.as_bytes()).split(';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            cookies.push((name.to_owned(), value.to_owned()));
        }
    }
    cookies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pairs_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append("cookie", "session=abc; theme=\"dark\"; junk".parse().unwrap());
        headers.append("cookie", "lang=en=GB".parse().unwrap());
        let cookies = parse_cookies(&headers);
        assert_eq!(
            cookies,
            [("session", "abc"), ("theme", "dark"), ("lang", "en=GB")].map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }
}
