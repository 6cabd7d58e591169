//! See `spikard_core::fuzzing::router` for the property this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikard_core::fuzzing::router(data));
