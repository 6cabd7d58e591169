//! See `spikard_core::fuzzing::json_encode` for the property this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikard_core::fuzzing::json_encode(data));
