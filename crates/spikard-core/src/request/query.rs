//! Query strings, parsed once into ordered pairs.

use std::borrow::Cow;

/// Decoded `key=value` pairs in the order they were sent. A key sent twice appears twice.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Parses `application/x-www-form-urlencoded` text (`+` is a space, `%XX` is decoded,
    /// invalid UTF-8 becomes U+FFFD).
    pub fn parse(query: &str) -> Self {
        let pairs = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (Cow::into_owned(k), Cow::into_owned(v)))
            .collect();
        QueryParams { pairs }
    }

    /// The last value sent for `key` (what a scalar parameter reads).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value sent for `key`, in order (what a `list[T]` parameter reads).
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every `(key, value)` pair, decoded, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Whether the query string has no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::QueryParams;

    #[test]
    fn repeated_keys_and_decoding() {
        let q = QueryParams::parse("tag=a&tag=b%20c&name=J%C3%BCrgen+X&empty=&flag");
        assert_eq!(q.get_all("tag").collect::<Vec<_>>(), ["a", "b c"]);
        assert_eq!(q.get("tag"), Some("b c"));
        assert_eq!(q.get("name"), Some("Jürgen X"));
        assert_eq!(q.get("empty"), Some(""));
        assert_eq!(q.get("flag"), Some(""));
        assert_eq!(q.get("missing"), None);
        assert!(QueryParams::parse("").is_empty());
    }
}
