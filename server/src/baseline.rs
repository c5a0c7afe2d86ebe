//! Benchmark baselines. Bench commands [`record`] their figures as they
//! print them; `--save NAME` then writes them to `bench/baselines/NAME.json`
//! with the commit and a description of the machine (other commands'
//! figures already in the file are kept), and `--compare NAME` prints each
//! figure beside the saved one with the ratio, failing when one is worse
//! than the tolerance allows.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::PathBuf,
    process::Command,
    sync::{Mutex, PoisonError},
};

use clap::Args;
use serde::{Deserialize, Serialize};

/// Where baselines live, relative to the repository (the bench scripts run
/// from its root).
pub const DIRECTORY: &str = "bench/baselines";

#[derive(Debug, Clone, Default, Args, PartialEq)]
pub struct BaselineArgs {
    /// Save the figures measured as the baseline NAME (bench/baselines/NAME.json).
    #[arg(long, global = true, value_name = "NAME")]
    pub save: Option<String>,
    /// Compare the figures measured with the baseline NAME; exit 1 when one
    /// is worse than the tolerance allows.
    #[arg(long, global = true, value_name = "NAME")]
    pub compare: Option<String>,
    /// How much worse than its baseline a figure may be, as a fraction.
    #[arg(long, global = true, default_value_t = 0.3)]
    pub tolerance: f64,
}

impl Eq for BaselineArgs {}

/// Which way a figure improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub value: f64,
    pub unit: String,
    pub better: Better,
}

/// One saved baseline: figures by bench command, then by name.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub commit: String,
    pub machine: String,
    pub figures: BTreeMap<String, BTreeMap<String, Figure>>,
}

static MEASURED: Mutex<Vec<(String, String, Figure)>> = Mutex::new(Vec::new());

/// Keeps a figure `bench` measured, for `--save` and `--compare`.
pub fn record(bench: &str, name: &str, value: f64, unit: &str, better: Better) {
    let figure = Figure {
        value,
        unit: unit.to_string(),
        better,
    };
    MEASURED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((bench.to_string(), name.to_string(), figure));
}

fn measured() -> Vec<(String, String, Figure)> {
    MEASURED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

fn path(name: &str) -> Result<PathBuf, String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if !valid {
        return Err(format!(
            "baseline name {name:?}: use letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(PathBuf::from(DIRECTORY).join(format!("{name}.json")))
}

/// Saves and compares as `args` ask, once the bench command has run.
/// `Err` names what failed, including figures past the tolerance.
pub fn settle(args: &BaselineArgs) -> Result<(), String> {
    let figures = measured();
    if (args.save.is_some() || args.compare.is_some()) && figures.is_empty() {
        return Err("this command records no figures to save or compare".into());
    }
    if let Some(name) = &args.compare {
        let path = path(name)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("baseline {}: {e}", path.display()))?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|e| format!("baseline {}: {e}", path.display()))?;
        let (table, worse) = compare(&baseline, &figures, args.tolerance);
        println!(
            "\ncompared with {name} (commit {}, {})",
            baseline.commit, baseline.machine
        );
        print!("{table}");
        if !worse.is_empty() {
            return Err(format!(
                "{} figure(s) worse than {name} by more than {:.0}%: {}",
                worse.len(),
                args.tolerance * 100.0,
                worse.join("; ")
            ));
        }
    }
    if let Some(name) = &args.save {
        let path = path(name)?;
        let mut baseline: Baseline = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        baseline.commit = commit();
        baseline.machine = machine();
        for (bench, figure, value) in figures {
            baseline
                .figures
                .entry(bench)
                .or_default()
                .insert(figure, value);
        }
        std::fs::create_dir_all(DIRECTORY).map_err(|e| format!("{DIRECTORY}: {e}"))?;
        let json = serde_json::to_string_pretty(&baseline).map_err(|e| e.to_string())?;
        std::fs::write(&path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        println!("saved as {}", path.display());
    }
    Ok(())
}

/// The comparison table, and the figures worse than `tolerance` allows.
pub fn compare(
    baseline: &Baseline,
    figures: &[(String, String, Figure)],
    tolerance: f64,
) -> (String, Vec<String>) {
    let mut table = format!(
        "{:<58} {:>12} {:>12} {:>8}  verdict\n",
        "figure", "baseline", "now", "ratio"
    );
    let mut worse = Vec::new();
    for (bench, name, now) in figures {
        let label = format!("{bench}: {name} ({})", now.unit);
        let Some(base) = baseline.figures.get(bench).and_then(|f| f.get(name)) else {
            let _ = writeln!(
                table,
                "{label:<58} {:>12} {:>12.1} {:>8}  new",
                "-", now.value, "-"
            );
            continue;
        };
        // Above 1 is better, whichever way the figure improves.
        let ratio = match now.better {
            Better::Higher => now.value / base.value,
            Better::Lower => base.value / now.value,
        };
        let verdict = if !ratio.is_finite() {
            "not comparable"
        } else if ratio < 1.0 / (1.0 + tolerance) {
            worse.push(format!("{label} {:.1} → {:.1}", base.value, now.value));
            "WORSE"
        } else if ratio > 1.0 + tolerance {
            "better"
        } else {
            "same"
        };
        let _ = writeln!(
            table,
            "{label:<58} {:>12.1} {:>12.1} {:>7.2}x  {verdict}",
            base.value, now.value, ratio
        );
    }
    (table, worse)
}

fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(head) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".into();
    };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if !changes.is_empty() => format!("{head} with uncommitted changes"),
        _ => head,
    }
}

/// The CPU model, its cores and the memory: what makes figures comparable.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    format!(
        "{model}, {cores} cores, {memory_gib:.0} GiB, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(value: f64, better: Better) -> Figure {
        Figure {
            value,
            unit: "x".into(),
            better,
        }
    }

    #[test]
    fn figures_worse_than_the_tolerance_fail_whichever_way_they_improve() {
        let mut baseline = Baseline::default();
        let bench = baseline.figures.entry("bench-x".into()).or_default();
        bench.insert("rate".into(), figure(100.0, Better::Higher));
        bench.insert("p99".into(), figure(10.0, Better::Lower));
        bench.insert("p50".into(), figure(10.0, Better::Lower));
        let now = |name: &str, value: f64, better| {
            (
                "bench-x".to_string(),
                name.to_string(),
                figure(value, better),
            )
        };
        let (table, worse) = compare(
            &baseline,
            &[
                now("rate", 70.0, Better::Higher),
                now("p99", 14.0, Better::Lower),
                now("p50", 12.0, Better::Lower),
                now("fresh", 1.0, Better::Lower),
            ],
            0.3,
        );
        // 100 → 70 a second is 1.43x worse; 10 → 14 ms is 1.4x worse.
        assert_eq!(worse.len(), 2, "{table}");
        assert!(worse[0].starts_with("bench-x: rate") && worse[1].starts_with("bench-x: p99"));
        assert!(table.contains("0.83x  same"), "{table}");
        assert!(table.contains("new"), "{table}");
    }

    #[test]
    fn names_that_could_leave_the_directory_are_refused() {
        assert!(path("main").is_ok());
        assert!(path("2026-12-05.ci").is_ok());
        for bad in ["", "../x", "a/b", ".hidden"] {
            assert!(path(bad).is_err(), "{bad:?}");
        }
    }
}
