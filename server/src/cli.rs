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
    /// For the bench commands: save or compare their figures.
    #[command(flatten)]
    pub baseline: crate::baseline::BaselineArgs,
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Serve the web app (the default). Applies migrations first unless MIGRATE_ON_START=false.
    Serve,
    /// Run only the background task: job workers and schedules (to scale
    /// them apart from the web servers; set JOBS_IN_SERVE=false there).
    Worker,
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
    /// Measure upload and download throughput of 25 MB files and the peak
    /// memory an upload takes, on fs and (when moto is installed) s3.
    BenchFiles,
    /// Measure job-queue throughput with 1 and 2 worker processes, and the
    /// delay from enqueue to start, on the PostgreSQL at DATABASE_URL.
    BenchJobs,
    /// Measure what error tracking and metrics cost: a signed-in page and a
    /// REST call on two instances, with a Sentry DSN and METRICS_TOKEN and
    /// without, in the bench database.
    BenchTelemetry,
    /// Measure live updates: delivery from commit to 1,000 open streams on
    /// two instances (p50, p99), memory per stream, and what the outbox
    /// write adds to a booking, in the bench database.
    BenchLive,
    /// Measure the inbox: the first sync of a mailbox, a sync with nothing
    /// new, and the inbox with 100,000 more messages stored (needs the IMAP
    /// server of scripts/bench-inbox.sh: BENCH_IMAP_PORT, _USER, _PASSWORD).
    BenchInbox,
    /// Client file storage: move legacy uploads in, check it against the database.
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Addresses blocked automatically after repeated rate-limit refusals
    /// (shared by every instance through REDIS_URL).
    #[command(subcommand)]
    Blocks(BlocksCommand),
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum BlocksCommand {
    /// List blocked addresses, longest block first.
    List,
    /// Lift an address's block and forget its history.
    Remove {
        /// The address, such as 203.0.113.7 or 2001:db8::1.
        address: std::net::IpAddr,
    },
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum StorageCommand {
    /// Move the files of rows that still hold a path under a legacy uploads
    /// directory into the configured storage. Safe to stop and run again.
    Migrate {
        /// The legacy uploads directory the rows' paths are relative to.
        #[arg(long)]
        from: std::path::PathBuf,
        /// Delete each original once its file is stored and its row updated.
        #[arg(long)]
        remove_originals: bool,
    },
    /// Check that every file's object exists, and list objects no file names.
    Verify,
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
        self.command.clone().unwrap_or(Command::Serve)
    }
}
