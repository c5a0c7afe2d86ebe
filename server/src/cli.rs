//! The `frontdesk` command line.

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "frontdesk",
    version,
    about = "Frontdesk: the front desk of appointment-based businesses"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Serve the web app (the default). Applies migrations first unless MIGRATE_ON_START=false.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check the configuration and exit; prints it with secrets redacted.
    CheckConfig,
    /// Measure sign-in latency and the cost of a tenant transaction, in a
    /// database of its own (`<DATABASE_URL's database>_bench`).
    BenchAuth,
    /// Create sample data: a demo business to try, or the benchmarks' large data set.
    Seed(SeedArgs),
    /// Measure the dashboard, calendar, client search and appointment API
    /// on the large data set (created first if missing), in the bench database.
    BenchScale,
    /// Measure rate-limit decisions per second and their latency, against
    /// the Redis at REDIS_URL (default 127.0.0.1:6379) and in-process.
    BenchLimiter,
}

#[derive(Debug, Clone, Copy, Args, PartialEq, Eq)]
pub struct SeedArgs {
    /// A demo business with a realistic month; prints how to sign in.
    #[arg(long)]
    pub demo: bool,
    /// 100,000 appointments and 20,000 clients in one business.
    #[arg(long)]
    pub scale: bool,
}

impl Cli {
    pub fn command(&self) -> Command {
        self.command.unwrap_or(Command::Serve)
    }
}
