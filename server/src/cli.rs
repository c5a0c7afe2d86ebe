//! The `frontdesk` command line.

use clap::{Parser, Subcommand};

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
}

impl Cli {
    pub fn command(&self) -> Command {
        self.command.unwrap_or(Command::Serve)
    }
}
