//! A real Prometheus (Debian's `prometheus`, installed by
//! `scripts/bootstrap.sh`), and Alertmanager beside it, on free loopback
//! ports with their data in fresh directories, started and stopped by the
//! test itself.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use super::{free_port, stop_child};

/// A running server process and its base URL.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        stop_child(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fresh_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "frontdesk-{what}-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits until `GET base/-/ready` answers 200.
async fn wait_ready(base: &str, what: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let ready = client.get(format!("{base}/-/ready")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} was not ready within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Prometheus scraping `target` (host:port) every second, at `path` with
/// `token` as bearer when given, evaluating `rules` and sending alerts to
/// `alertmanager` when given.
pub async fn prometheus(
    target: &str,
    token: Option<&str>,
    rules: Option<&std::path::Path>,
    alertmanager: Option<&str>,
) -> Server {
    let dir = fresh_dir("prometheus");
    let port = free_port();
    let authorization = token
        .map(|t| format!("    authorization:\n      type: Bearer\n      credentials: {t}\n"))
        .unwrap_or_default();
    let rule_files = rules
        .map(|r| format!("rule_files:\n  - {}\n", r.display()))
        .unwrap_or_default();
    let alerting = alertmanager
        .map(|a| format!("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"{a}\"]\n"))
        .unwrap_or_default();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n{rule_files}{alerting}\
         scrape_configs:\n  - job_name: frontdesk\n    metrics_path: /metrics\n{authorization}\
         \x20   static_configs:\n      - targets: [\"{target}\"]\n"
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let child = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "prometheus runs (apt-get install prometheus; scripts/bootstrap.sh test installs it)",
        );
    let server = Server {
        child: Some(child),
        base: format!("http://127.0.0.1:{port}"),
        dir,
    };
    wait_ready(&server.base, "Prometheus").await;
    server
}

/// Alertmanager delivering every alert at once to `webhook`.
pub async fn alertmanager(webhook: &str) -> Server {
    let dir = fresh_dir("alertmanager");
    let port = free_port();
    let config = format!(
        "route:\n  receiver: hook\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n  - name: hook\n    webhook_configs:\n      - url: {webhook}\n"
    );
    std::fs::write(dir.join("alertmanager.yml"), config).unwrap();
    let child = Command::new("prometheus-alertmanager")
        .arg(format!(
            "--config.file={}",
            dir.join("alertmanager.yml").display()
        ))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // One instance: no gossip port to collide with another test's.
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus-alertmanager runs (apt-get install prometheus-alertmanager)");
    let server = Server {
        child: Some(child),
        base: format!("http://127.0.0.1:{port}"),
        dir,
    };
    wait_ready(&server.base, "Alertmanager").await;
    server
}

impl Server {
    /// The result of the instant query `query` (Prometheus' API).
    pub async fn query(&self, query: &str) -> Vec<Value> {
        let body: Value = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.base))
            .query(&[("query", query)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["status"], "success", "{query}: {body}");
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Queries until `query` has a result, for at most `limit`.
    pub async fn wait_for(&self, query: &str, limit: Duration) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let result = self.query(query).await;
            if !result.is_empty() {
                return result;
            }
            assert!(
                started.elapsed() < limit,
                "no result for {query} within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
