//! JSON in and out: simd-json decoding of an owned buffer into a tape, and the encoding
//! primitives the response writers share.

mod document;
mod encode;
mod float;
pub(crate) mod parse;
mod powers_of_five;
mod words;

pub(crate) use document::node_to_value;
pub use document::{JsonDocument, JsonError, MAX_DEPTH};
pub use encode::{
    write_f64, write_f64_then, write_i64, write_i64_then, write_nodes, write_str, write_str_then, write_u64,
};
pub use simd_json::StaticNode;
pub use simd_json::tape::Node;
pub use words::{KnownKey, is_ascii_word, same_bytes, word};

/// A small deterministic random source for tests (xorshift64), so failures reproduce.
#[cfg(test)]
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
