//! `frontdesk bench-jobs`: the job queue's throughput (no-op jobs, one
//! acknowledgement each) with 1 and 2 `frontdesk worker` processes, and the
//! delay from enqueue to start under a steady trickle, on the PostgreSQL at
//! DATABASE_URL (in a database of its own, `<database>_jobs`).

use frontdesk::secrecy::ExposeSecret;
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use frontdesk::{
    config::Config,
    db,
    jobs::{Job, NewJob},
    services::{jobs::Probe, Work},
};
use frontdesk::{db::Pool as PgPool, tools::bench};

use crate::baseline::{self, Better};

const BENCH: &str = "bench-jobs";

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// Jobs per throughput run.
const JOBS: i64 = 20_000;
/// Jobs per latency run, enqueued one per transaction.
const TRICKLE: usize = 2_000;
/// Between two enqueues of the trickle (about 200 a second).
const TRICKLE_GAP: Duration = Duration::from_millis(5);
/// Jobs each worker process runs at once.
const CONCURRENCY: &str = "8";

pub async fn run(mut config: Config) -> Outcome {
    let url = format!("{}_jobs", config.database.url.expose_secret());
    config.database.url = url.clone().into();
    db::ensure_database(&url).await?;
    let pool = db::pool(&config.database)?;
    db::migrate(&pool).await?;
    println!("job queue: {JOBS} no-op jobs per throughput run; {TRICKLE} enqueued one at a time (~200/s) per latency run");
    println!("worker processes: JOB_CONCURRENCY={CONCURRENCY} each");
    println!(
        "{:<10} {:>10} {:>14} {:>16} {:>16}",
        "processes", "jobs/s", "drain s", "start delay p50", "start delay p99"
    );
    for processes in [1usize, 2] {
        bench::empty_queue(&pool).await?;
        bench::fill_queue(&pool, Probe::KIND, JOBS).await?;
        let mut workers = spawn_workers(&url, processes)?;
        wait_done(&pool, JOBS, Duration::from_secs(600)).await?;
        let drain = bench::drain_seconds(&pool).await?;

        // Latency: idle workers, one job at a time.
        bench::empty_queue(&pool).await?;
        for _ in 0..TRICKLE {
            let mut work = Work::system(&pool, "bench").await?;
            work.enqueue(NewJob::new(Probe::default())).await?;
            work.commit().await?;
            tokio::time::sleep(TRICKLE_GAP).await;
        }
        wait_done(&pool, TRICKLE as i64, Duration::from_secs(120)).await?;
        let delay = bench::start_delay(&pool).await?;
        for worker in &mut workers {
            let _ = worker.kill();
            let _ = worker.wait();
        }
        println!(
            "{:<10} {:>10.0} {:>14.2} {:>13.1} ms {:>13.1} ms",
            processes,
            JOBS as f64 / drain,
            drain,
            delay.p50,
            delay.p99
        );
        let figure = |what: &str| format!("{processes} process(es), {what}");
        let rate = JOBS as f64 / drain;
        baseline::record(BENCH, &figure("jobs/s"), rate, "1/s", Better::Higher);
        baseline::record(
            BENCH,
            &figure("start delay p50"),
            delay.p50,
            "ms",
            Better::Lower,
        );
        baseline::record(
            BENCH,
            &figure("start delay p99"),
            delay.p99,
            "ms",
            Better::Lower,
        );
    }
    pool.close().await;
    Ok(())
}

fn spawn_workers(url: &str, n: usize) -> Result<Vec<Child>, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    (0..n)
        .map(|_| {
            Command::new(&exe)
                .arg("worker")
                .env("DATABASE_URL", url)
                .env("MIGRATE_ON_START", "false")
                .env("JOB_CONCURRENCY", CONCURRENCY)
                .env("SCHEDULE_REMINDERS", "off")
                .env("SCHEDULE_CLEANUP", "off")
                .env("SCHEDULE_STORAGE_SWEEP", "off")
                .env("LOG_LEVEL", "warn")
                .stdout(Stdio::null())
                .spawn()
                .map_err(Into::into)
        })
        .collect()
}

async fn wait_done(pool: &PgPool, n: i64, timeout: Duration) -> Outcome {
    let started = Instant::now();
    loop {
        let done = bench::done_jobs(pool).await?;
        if done >= n {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(format!("only {done} of {n} jobs done within {timeout:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
