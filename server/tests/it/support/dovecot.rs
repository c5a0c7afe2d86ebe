//! A real IMAP server for tests: Debian's Dovecot (installed by
//! scripts/bootstrap.sh test) as a process of its own, with its own config,
//! on a free loopback port, plain IMAP, users from a passwd file and
//! Maildirs in a temp dir. Mail is delivered with `doveadm save`, folders
//! recreated with `doveadm mailbox`, and the server stopped and started
//! again to test outages.

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

pub struct Dovecot {
    pub dir: PathBuf,
    pub port: u16,
    conf: PathBuf,
    running: bool,
}

/// `TEST_DOVECOT`, else Debian's path.
fn dovecot() -> String {
    std::env::var("TEST_DOVECOT").unwrap_or_else(|_| "/usr/sbin/dovecot".into())
}

fn doveadm() -> String {
    std::env::var("TEST_DOVEADM").unwrap_or_else(|_| "/usr/bin/doveadm".into())
}

impl Dovecot {
    /// A server with `users` (name, password), each with an INBOX and a Sent folder.
    pub async fn start(users: &[(&str, &str)]) -> Self {
        let dir =
            std::env::temp_dir().join(format!("frontdesk-imap-{}", uuid::Uuid::now_v7().simple()));
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        // Dovecot refuses to keep mail as root: the mail belongs to nobody.
        let _ = std::os::unix::fs::chown(dir.join("mail"), Some(65534), Some(65534));
        let port = super::reusable_port();
        let conf = dir.join("dovecot.conf");
        let mut server = Dovecot {
            dir,
            port,
            conf,
            running: false,
        };
        server.write_users(users);
        server.write_conf();
        server.launch().await;
        server
    }

    fn write_users(&self, users: &[(&str, &str)]) {
        let lines: String = users
            .iter()
            .map(|(user, password)| format!("{user}:{{PLAIN}}{password}\n"))
            .collect();
        std::fs::write(self.dir.join("users"), lines).unwrap();
    }

    /// Changes a user's password (the next sign-in needs the new one).
    pub fn set_password(&self, user: &str, password: &str) {
        let path = self.dir.join("users");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: String = text
            .lines()
            .map(|line| match line.split_once(':') {
                Some((u, _)) if u == user => format!("{user}:{{PLAIN}}{password}\n"),
                _ => format!("{line}\n"),
            })
            .collect();
        std::fs::write(path, lines).unwrap();
        // Dovecot caches authentication; a reload forgets it.
        let _ = Command::new(doveadm())
            .arg("-c")
            .arg(&self.conf)
            .arg("reload")
            .status();
    }

    fn write_conf(&self) {
        let d = self.dir.display();
        let conf = format!(
            r#"protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0
mail_location = maildir:{d}/mail/%u
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \Sent
    auto = subscribe
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"#,
            port = self.port
        );
        std::fs::write(&self.conf, conf).unwrap();
    }

    async fn launch(&mut self) {
        let status = Command::new(dovecot())
            .arg("-c")
            .arg(&self.conf)
            .status()
            .unwrap_or_else(|e| {
                panic!("dovecot could not start ({e}); run scripts/bootstrap.sh test")
            });
        assert!(
            status.success(),
            "dovecot exited with {status}; see {}",
            self.dir.join("dovecot.log").display()
        );
        self.running = true;
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "dovecot did not listen on port {} within 20 s",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server (every connection drops).
    pub fn stop(&mut self) {
        if self.running {
            let _ = Command::new(doveadm())
                .arg("-c")
                .arg(&self.conf)
                .arg("stop")
                .status();
            self.running = false;
            // Wait for the port to close.
            let started = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && started.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Starts it again on the same port with the same mail.
    pub async fn start_again(&mut self) {
        if !self.running {
            self.launch().await;
        }
    }

    fn doveadm(&self, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
        let mut child = Command::new(doveadm())
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("doveadm runs");
        if let Some(bytes) = stdin {
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        drop(child.stdin.take());
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "doveadm {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Delivers `raw` into `folder` of `user`.
    pub fn deliver(&self, user: &str, folder: &str, raw: &[u8]) {
        self.doveadm(&["save", "-u", user, "-m", folder], Some(raw));
    }

    /// Deletes and creates `folder` again with the same messages: the
    /// server gives it a new UIDVALIDITY.
    pub fn recreate(&self, user: &str, folder: &str) {
        let listed = self.doveadm(
            &["-f", "flow", "fetch", "-u", user, "text", "mailbox", folder],
            None,
        );
        let text = String::from_utf8_lossy(&listed.stdout).to_string();
        let messages: Vec<String> = text
            .split("text=")
            .skip(1)
            .map(|m| m.trim_start_matches(['\n']).to_string())
            .collect();
        self.doveadm(&["mailbox", "delete", "-u", user, folder], None);
        self.doveadm(&["mailbox", "create", "-u", user, folder], None);
        for message in messages {
            self.deliver(user, folder, message.as_bytes());
        }
    }

    /// Creates a folder for `user`.
    pub fn create_folder(&self, user: &str, folder: &str) {
        self.doveadm(&["mailbox", "create", "-u", user, folder], None);
    }

    /// Removes the message with `uid` from `folder` on the server.
    pub fn expunge(&self, user: &str, folder: &str, uid: u32) {
        self.doveadm(
            &[
                "expunge",
                "-u",
                user,
                "mailbox",
                folder,
                "uid",
                &uid.to_string(),
            ],
            None,
        );
    }

    /// Sets `\Seen` on the message with `uid`.
    pub fn mark_seen(&self, user: &str, folder: &str, uid: u32) {
        self.doveadm(
            &[
                "flags",
                "add",
                "-u",
                user,
                "\\Seen",
                "mailbox",
                folder,
                "uid",
                &uid.to_string(),
            ],
            None,
        );
    }

    /// Whether the message `uid` of `folder` is marked `\Seen` on the server.
    pub fn is_seen(&self, user: &str, folder: &str, uid: u32) -> bool {
        let out = self.doveadm(
            &[
                "-f",
                "tab",
                "fetch",
                "-u",
                user,
                "flags",
                "mailbox",
                folder,
                "uid",
                &uid.to_string(),
            ],
            None,
        );
        String::from_utf8_lossy(&out.stdout).contains("\\Seen")
    }

    /// Every Message-ID in `folder` (the server's own view).
    pub fn message_ids(&self, user: &str, folder: &str) -> Vec<String> {
        let out = self.doveadm(
            &[
                "-f",
                "tab",
                "fetch",
                "-u",
                user,
                "hdr.message-id",
                "mailbox",
                folder,
            ],
            None,
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(1)
            .map(|l| {
                l.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// How many messages `folder` holds.
    pub fn count(&self, user: &str, folder: &str) -> usize {
        let out = self.doveadm(
            &["-f", "tab", "fetch", "-u", user, "uid", "mailbox", folder],
            None,
        );
        String::from_utf8_lossy(&out.stdout).lines().skip(1).count()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
