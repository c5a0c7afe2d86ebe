//! A real Sentry-compatible server for tests: Bugsink (from PyPI, in the
//! virtual environment `scripts/bootstrap.sh test` makes), on a free
//! loopback port with its own database in a fresh directory, started and
//! stopped by the test itself. Its API lists what it received.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

pub struct Bugsink {
    child: Option<Child>,
    base: String,
    token: String,
    dir: PathBuf,
    client: reqwest::Client,
}

/// `TEST_BUGSINK_BIN`, else the virtual environment under ~/.cache/frontdesk.
fn bin(tool: &str) -> PathBuf {
    let dir = std::env::var("TEST_BUGSINK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/frontdesk/bugsink/bin")
        });
    dir.join(tool)
}

impl Bugsink {
    pub async fn start() -> Self {
        let port = super::free_port();
        let dir = std::env::temp_dir().join(format!(
            "frontdesk-bugsink-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let dir_for_setup = dir.clone();
        let token = tokio::task::spawn_blocking(move || setup(&dir_for_setup, port))
            .await
            .unwrap();
        let child = manage(&dir)
            .args(["runserver", &format!("127.0.0.1:{port}"), "--noreload"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Bugsink {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            token,
            dir,
            client: reqwest::Client::new(),
        };
        let started = Instant::now();
        loop {
            let ready = server
                .client
                .get(format!("{}/health/ready", server.base))
                .send()
                .await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "Bugsink did not answer within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .client
            .request(method, format!("{}/api/canonical/0/{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "Bugsink {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A new project; returns its id and DSN.
    pub async fn project(&self, name: &str) -> (u64, String) {
        let team = self
            .api(
                reqwest::Method::POST,
                "teams/",
                Some(json!({"name": name, "visibility": "joinable"})),
            )
            .await;
        let created = self
            .api(
                reqwest::Method::POST,
                "projects/",
                Some(json!({"name": name, "team": team["id"]})),
            )
            .await;
        let id: u64 = created["id"].to_string().trim_matches('"').parse().unwrap();
        let project = self
            .api(reqwest::Method::GET, &format!("projects/{id}/"), None)
            .await;
        (id, project["dsn"].as_str().unwrap().to_string())
    }

    /// Every event the project received, as sent (the `data` payload).
    pub async fn events(&self, project: u64) -> Vec<Value> {
        let issues = self
            .api(
                reqwest::Method::GET,
                &format!("issues/?project={project}"),
                None,
            )
            .await;
        let mut events = Vec::new();
        for issue in issues["results"].as_array().into_iter().flatten() {
            let listed = self
                .api(
                    reqwest::Method::GET,
                    &format!("events/?issue={}", issue["id"].as_str().unwrap()),
                    None,
                )
                .await;
            for event in listed["results"].as_array().into_iter().flatten() {
                let detail = self
                    .api(
                        reqwest::Method::GET,
                        &format!("events/{}/", event["id"].as_str().unwrap()),
                        None,
                    )
                    .await;
                events.push(detail["data"].clone());
            }
        }
        events
    }

    /// Waits until the project holds `count` events (or more); returns them.
    pub async fn wait_for(&self, project: u64, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let events = self.events(project).await;
            if events.len() >= count || started.elapsed() > Duration::from_secs(20) {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

fn manage(dir: &std::path::Path) -> Command {
    let mut command = Command::new(bin("bugsink-manage"));
    command
        .current_dir(dir)
        .env("DJANGO_SETTINGS_MODULE", "bugsink_conf")
        .env("PYTHONPATH", dir);
    command
}

/// Writes the configuration, migrates both databases and returns an API token.
fn setup(dir: &std::path::Path, port: u16) -> String {
    let status = Command::new(bin("bugsink-create-conf"))
        .current_dir(dir)
        .args(["--template=local", "--host=127.0.0.1"])
        .arg(format!("--port={port}"))
        .args(["-o", "bugsink_conf.py"])
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| {
            panic!("Bugsink is not installed ({e}); run scripts/bootstrap.sh test")
        });
    assert!(status.success());
    for args in [
        vec!["migrate", "-v0"],
        vec!["migrate", "snappea", "--database=snappea", "-v0"],
    ] {
        let status = manage(dir).args(&args).status().unwrap();
        assert!(status.success(), "bugsink-manage {args:?} failed");
    }
    let out = manage(dir).arg("create_auth_token").output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()
        .unwrap()
        .to_string()
}

impl Drop for Bugsink {
    fn drop(&mut self) {
        super::stop_child(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
