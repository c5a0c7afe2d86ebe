use std::process::ExitCode;

use clap::Parser;
use frontdesk::{config::Config, db, telemetry};
use server::{
    cli::{Cli, Command, StorageCommand},
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
        Command::Seed(args) => server::seed::run(config, args).await,
        Command::Storage(StorageCommand::Migrate {
            from,
            remove_originals,
        }) => server::storage_cli::migrate(config, from, remove_originals).await,
        Command::Storage(StorageCommand::Verify) => server::storage_cli::verify(config).await,
        Command::Serve | Command::CheckConfig => run_server(config).await,
    };
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
    db::ensure_database(&config.database.url).await?;
    let pool = db::pool(&config.database)?;
    db::migrate(&pool).await?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn run_server(config: Config) -> Outcome {
    let pool = db::pool(&config.database)?;
    if config.database.migrate_on_start {
        db::ensure_database(&config.database.url).await?;
        db::migrate(&pool).await?;
        tracing::info!("migrations applied");
    }
    let businesses: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants")
        .fetch_one(&pool)
        .await
        .unwrap_or(1);
    if businesses == 0 {
        tracing::info!("no business yet: sign up at /signup, or create a demo business with `frontdesk seed --demo` (make demo)");
    }
    let listener = tokio::net::TcpListener::bind(config.http.addr).await?;
    let state = AppState::new(config, pool)?;
    serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn run_worker(config: Config) -> Outcome {
    let pool = db::pool(&config.database)?;
    if config.database.migrate_on_start {
        db::ensure_database(&config.database.url).await?;
        db::migrate(&pool).await?;
    }
    let state = AppState::new(config, pool.clone())?;
    let background = frontdesk::jobs::Background::start(state.deps.clone());
    shutdown_signal().await;
    tracing::info!("shutting down: finishing running jobs");
    background.shutdown().await;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}
