//! The Frontdesk HTTP server: router, middleware, health and the command line.

pub mod api;
pub mod baseline;
pub mod bench;
pub mod bench_files;
pub mod bench_inbox;
pub mod bench_jobs;
pub mod bench_limiter;
pub mod bench_live;
pub mod bench_scale;
pub mod bench_telemetry;
pub mod blocks_cli;
pub mod browser_errors;
pub mod cli;
pub mod cron;
pub mod files;
pub mod health;
pub mod live;
pub mod mail_view;
pub mod metrics;
pub mod middleware;
pub mod router;
pub mod seed;
pub mod serve;
pub mod state;
pub mod storage_cli;

pub use router::{router, router_with};
pub use serve::{serve, serve_router, shutdown_signal};
pub use state::AppState;
