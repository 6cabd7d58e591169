//! Every input the fuzzers found (`fuzz/regressions/<target>/`) and every seed
//! (`fuzz/seeds/<target>/`), replayed through the property its target checks
//! (`spikard_core::fuzzing`). Runs with the `fuzzing` feature, as `make test` does.
#![cfg(feature = "fuzzing")]

use std::path::Path;

#[test]
fn found_inputs_and_seeds_still_hold() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut replayed = 0;
    for (target, check) in spikard_core::fuzzing::TARGETS {
        for dir in ["regressions", "seeds"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("a readable directory").path();
                let data = std::fs::read(&path).expect("a readable file");
                check(&data);
                replayed += 1;
            }
        }
    }
    assert!(replayed > 0, "no seeds found under {}", fuzz.display());
}
