//! Sets PyO3's `Py_3_*` cfgs for the interpreter being built against, so code that reads
//! CPython's object layouts directly can follow the version it runs on.
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
