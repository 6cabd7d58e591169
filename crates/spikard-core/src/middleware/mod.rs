//! Request-path layers that tower-http has no equivalent for in this server's shape.

mod catch_panic;

pub use catch_panic::catch_panic;
