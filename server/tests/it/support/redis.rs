//! Redis for tests: the machine's shared server, or one a test starts (and
//! stops) itself on a port of its own.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fred::prelude::{Builder, ClientLike, Config, KeysInterface};

/// The machine's Redis (`TEST_REDIS_URL`, default 127.0.0.1:6379).
pub fn shared_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A plain client for looking at (or tampering with) what the app stored.
pub async fn client(url: &str) -> fred::prelude::Client {
    let client = Builder::from_config(Config::from_url(url).unwrap())
        .build()
        .unwrap();
    client.init().await.expect("test Redis must be reachable");
    client
}

/// Keys matching `pattern` (KEYS is fine on a test server).
pub async fn keys(client: &fred::prelude::Client, pattern: &str) -> Vec<String> {
    let cmd = fred::types::CustomCommand::new_static("KEYS", None::<u16>, false);
    client.custom(cmd, vec![pattern.to_string()]).await.unwrap()
}

pub async fn remove(client: &fred::prelude::Client, key: &str) {
    let removed: i64 = client.del(key).await.unwrap();
    assert_eq!(removed, 1, "{key} was not there");
}

pub async fn overwrite(client: &fred::prelude::Client, key: &str, bytes: &[u8]) {
    let _: () = client
        .set(
            key,
            fred::bytes::Bytes::copy_from_slice(bytes),
            None,
            None,
            false,
        )
        .await
        .unwrap();
}

/// A `redis-server` process of the test's own.
pub struct OwnRedis {
    pub port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    pub fn start() -> Self {
        let port = super::reusable_port();
        let mut redis = OwnRedis { port, child: None };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port and waits until it answers.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers_ping() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            assert!(
                exited.is_none(),
                "redis-server exited: {exited:?} (port {} taken?)",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether our Redis, not some other server, answers on the port.
    fn answers_ping(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    /// Kills the server (as a crash would) and waits until the port is closed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
