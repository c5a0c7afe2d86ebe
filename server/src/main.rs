use frontdesk::secrecy::ExposeSecret;
use std::process::ExitCode;

use clap::Parser;
use frontdesk::{config::Config, db, telemetry};
use server::{
    cli::{BlocksCommand, Cli, Command, StorageCommand},
    serve, shutdown_signal, AppState,
};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("frontdesk: {err}");
            return ExitCode::from(2);
        }
    };
    let command = cli.command();
    if command == Command::CheckConfig {
        // Everything `serve` builds before it touches the database, so a
        // setting `serve` would refuse is refused here too; nothing migrates.
        if let Err(err) = build_state(config.clone()) {
            eprintln!("frontdesk: {err}");
            return ExitCode::from(2);
        }
        println!("{config:#?}");
        println!("configuration is valid");
        return ExitCode::SUCCESS;
    }
    if let Err(err) = telemetry::init(&config.log) {
        eprintln!("frontdesk: {err}");
        return ExitCode::from(2);
    }
    let outcome = match command {
        Command::Migrate => migrate(config).await,
        Command::Worker => run_worker(config).await,
        Command::BenchAuth => server::bench::auth(config).await,
        Command::BenchScale => server::bench_scale::run(config).await,
        Command::BenchLimiter => server::bench_limiter::run(config).await,
        Command::BenchFiles => server::bench_files::run(config).await,
        Command::BenchJobs => server::bench_jobs::run(config).await,
        Command::BenchTelemetry => server::bench_telemetry::run(config).await,
        Command::BenchLive => server::bench_live::run(config).await,
        Command::BenchInbox => server::bench_inbox::run(config).await,
        Command::Seed(args) => server::seed::run(config, args).await,
        Command::Storage(StorageCommand::Migrate {
            from,
            remove_originals,
        }) => server::storage_cli::migrate(config, from, remove_originals).await,
        Command::Storage(StorageCommand::Verify) => server::storage_cli::verify(config).await,
        Command::Blocks(BlocksCommand::List) => server::blocks_cli::list(config).await,
        Command::Blocks(BlocksCommand::Remove { address }) => {
            server::blocks_cli::remove(config, address).await
        }
        Command::Serve | Command::CheckConfig => run_server(config).await,
    };
    let outcome = outcome.and_then(|()| Ok(server::baseline::settle(&cli.baseline)?));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "frontdesk stopped");
            ExitCode::FAILURE
        }
    }
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

async fn migrate(config: Config) -> Outcome {
    db::ensure_database(config.database.url.expose_secret()).await?;
    let pool = db::pool(&config.database)?;
    db::migrate(&pool).await?;
    tracing::info!("migrations applied");
    Ok(())
}

/// The server's state from the configuration alone: the checks that need
/// no database (mail transport, Redis URL, storage) run before anything
/// is created or migrated.
fn build_state(config: Config) -> Result<AppState, Box<dyn std::error::Error>> {
    let pool = db::pool(&config.database)?;
    Ok(AppState::new(config, pool)?)
}

async fn run_server(config: Config) -> Outcome {
    let state = build_state(config)?;
    let (config, pool) = (state.config.clone(), state.pool.clone());
    if config.database.migrate_on_start {
        db::ensure_database(config.database.url.expose_secret()).await?;
        db::migrate(&pool).await?;
        tracing::info!("migrations applied");
    }
    let businesses = frontdesk::tools::business_count(&pool).await.unwrap_or(1);
    if businesses == 0 {
        tracing::info!("no business yet: sign up at /signup, or create a demo business with `frontdesk seed --demo` (make demo)");
    }
    let listener = tokio::net::TcpListener::bind(config.http.addr).await?;
    serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn run_worker(config: Config) -> Outcome {
    let state = build_state(config)?;
    let pool = state.pool.clone();
    if state.config.database.migrate_on_start {
        db::ensure_database(state.config.database.url.expose_secret()).await?;
        db::migrate(&pool).await?;
    }
    let background = frontdesk::services::jobs::start_background(&state.deps);
    shutdown_signal().await;
    tracing::info!("shutting down: finishing running jobs");
    background.shutdown().await;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}
