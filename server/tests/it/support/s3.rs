//! A real S3-compatible server for tests: s3rver (from npm, installed with the
//! end-to-end packages) on a free loopback port, started and stopped by the
//! test itself. It checks access keys and refuses expired presigned links.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// s3rver's built-in account.
pub const ACCESS_KEY: &str = "S3RVER";

pub struct S3Server {
    child: Option<Child>,
    pub port: u16,
    data: PathBuf,
    buckets: Vec<String>,
}

/// `TEST_S3_SERVER`, else the one `npm ci` put under end2end/.
fn binary() -> PathBuf {
    match std::env::var("TEST_S3_SERVER") {
        Ok(path) => path.into(),
        Err(_) => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules/.bin/s3rver")
        }
    }
}

impl S3Server {
    /// A server with `buckets`, keeping its objects in a fresh directory.
    pub async fn start(buckets: &[&str]) -> Self {
        let port = super::free_port();
        let data =
            std::env::temp_dir().join(format!("frontdesk-s3-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&data).unwrap();
        let mut server = S3Server {
            child: None,
            port,
            data,
            buckets: buckets.iter().map(|b| b.to_string()).collect(),
        };
        server.launch().await;
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn launch(&mut self) {
        let mut command = Command::new(binary());
        command.args([
            "--silent",
            "-a",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-d",
        ]);
        command.arg(&self.data);
        for bucket in &self.buckets {
            command.args(["--configure-bucket", bucket]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("s3rver could not start ({e}); run scripts/bootstrap.sh test")
            });
        self.child = Some(child);
        let started = Instant::now();
        let client = reqwest::Client::new();
        loop {
            if client.get(self.endpoint()).send().await.is_ok() {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "s3rver did not answer within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the server; its objects stay on disk for a restart.
    pub fn stop(&mut self) {
        super::stop_child(&mut self.child);
    }

    /// Starts it again on the same port, with the same objects.
    pub async fn restart(&mut self) {
        self.stop();
        self.launch().await;
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// Configuration for a Frontdesk server on `server`'s `bucket`.
pub fn use_s3(config: &mut frontdesk::config::Config, server: &S3Server, bucket: &str) {
    config.storage.backend = frontdesk::storage::Backend::S3;
    config.storage.s3 = frontdesk::storage::S3Config {
        endpoint: Some(server.endpoint()),
        region: "us-east-1".into(),
        bucket: bucket.into(),
        access_key_id: super::secret(ACCESS_KEY),
        secret_access_key: super::secret(ACCESS_KEY),
        path_style: true,
    };
}
