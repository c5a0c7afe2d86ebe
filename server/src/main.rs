use std::process::ExitCode;

use clap::Parser;
use frontdesk::{config::Config, db, telemetry};
use server::{cli::Cli, cli::Command, serve, shutdown_signal, AppState};

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
    if cli.command() == Command::CheckConfig {
        println!("{config:#?}");
        println!("configuration is valid");
        return ExitCode::SUCCESS;
    }
    if let Err(err) = telemetry::init(&config.log) {
        eprintln!("frontdesk: {err}");
        return ExitCode::from(2);
    }
    match run(cli.command(), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "frontdesk stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let pool = db::pool(&config.database)?;
    match command {
        Command::Migrate => {
            db::ensure_database(&config.database.url).await?;
            db::migrate(&pool).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve => {
            if config.database.migrate_on_start {
                db::ensure_database(&config.database.url).await?;
                db::migrate(&pool).await?;
                tracing::info!("migrations applied");
            }
            let listener = tokio::net::TcpListener::bind(config.http.addr).await?;
            let state = AppState::new(config, pool);
            serve(listener, state, shutdown_signal()).await?;
        }
        Command::CheckConfig => unreachable!("handled before logging starts"),
    }
    Ok(())
}
