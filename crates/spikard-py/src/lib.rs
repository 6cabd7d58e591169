//! `spikard._spikard`: the PyO3 side of Spikard. Each file registers its own Python items.

mod app;
mod dispatch;
mod errors;
mod from_python;
mod layout;
mod plan;
mod profile;
mod request;
mod shape;
mod to_python;

use pyo3::prelude::*;

#[pymodule]
fn _spikard(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Rust-side logs (accept errors, shutdown) go to stderr; SPIKARD_LOG filters them.
    let env = env_logger::Env::new().filter_or("SPIKARD_LOG", "warn,spikard_core=info");
    let _ = env_logger::Builder::from_env(env).format_target(false).try_init();

    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    app::init_pymodule(m)?;
    errors::init_pymodule(m)?;
    from_python::init_pymodule(m)?;
    plan::init_pymodule(m)?;
    request::init_pymodule(m)?;
    to_python::init_pymodule(m)?;
    Ok(())
}
