//! Object storage for client files, through opendal: `fs` on one machine,
//! `s3` (S3, R2, MinIO) when instances share files, `memory` for tests.
//! Chosen by configuration alone; the rest of the app sees one [`Storage`].
//!
//! Links to files expire: `s3` presigns them itself; for `fs` and `memory`
//! the app signs them ([`signing`]) and serves them from `/files/signed/`.

mod config;
pub mod signing;
pub mod sniff;

use secrecy::ExposeSecret;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::Stream;
use opendal::{services, ErrorKind, Operator};
use uuid::Uuid;

use crate::{domain::files::FileName, error::AppError, telemetry::outage::Outage};
pub use config::{S3Config, StorageConfig, UploadConfig};
pub use signing::{Disposition, Grant, UrlSigner};

/// Which backend is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Fs,
    S3,
    Memory,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Fs => "fs",
            Backend::S3 => "s3",
            Backend::Memory => "memory",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "fs" => Some(Backend::Fs),
            "s3" => Some(Backend::S3),
            "memory" => Some(Backend::Memory),
            _ => None,
        }
    }

    /// The backend signs its own links.
    fn presigns(self) -> bool {
        self == Backend::S3
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no such object")]
    NotFound,
    #[error("file storage failed: {0}")]
    Backend(#[from] opendal::Error),
    #[error("file storage is misconfigured: {0}")]
    Config(String),
}

impl From<StorageError> for AppError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound => AppError::NotFound("no such file".into()),
            StorageError::Backend(e) if e.is_temporary() || e.kind() == ErrorKind::Unexpected => {
                tracing::warn!(error = %e, "file storage unavailable");
                AppError::Unavailable("file storage is unavailable; try again shortly".into())
            }
            other => AppError::internal(other),
        }
    }
}

fn backend_error(err: opendal::Error) -> StorageError {
    if err.kind() == ErrorKind::NotFound {
        StorageError::NotFound
    } else {
        StorageError::Backend(err)
    }
}

fn storage_outage() -> Outage {
    Outage::new("storage", "client files cannot be read or saved")
}

/// A link to a stored file and when it stops working.
#[derive(Debug, Clone)]
pub struct SignedUrl {
    /// Absolute for presigned links; a path on this app for app-signed ones.
    pub url: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Clone, Debug)]
pub struct Storage {
    op: Operator,
    backend: Backend,
    signer: UrlSigner,
    link_ttl: Duration,
    outage: Outage,
}

impl Storage {
    pub fn from_config(config: &StorageConfig) -> Result<Self, StorageError> {
        // The process-wide HTTP transport (reqwest) for remote backends; idempotent.
        opendal::install_default();
        let op = match config.backend {
            Backend::Fs => {
                std::fs::create_dir_all(&config.fs_root).map_err(|e| {
                    StorageError::Config(format!(
                        "STORAGE_FS_ROOT ({}) cannot be created: {e}",
                        config.fs_root.display()
                    ))
                })?;
                let root = std::fs::canonicalize(&config.fs_root).map_err(|e| {
                    StorageError::Config(format!("STORAGE_FS_ROOT cannot be resolved: {e}"))
                })?;
                Operator::new(services::Fs::default().root(&root.to_string_lossy()))?
            }
            Backend::Memory => Operator::new(services::Memory::default())?,
            Backend::S3 => {
                let s3 = &config.s3;
                let mut builder = services::S3::default()
                    .bucket(&s3.bucket)
                    .region(&s3.region)
                    // Credentials come from configuration only, never from
                    // files or instance metadata the operator did not choose.
                    .disable_config_load()
                    .disable_ec2_metadata();
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.endpoint(endpoint);
                }
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    builder = builder
                        .access_key_id(id.expose_secret())
                        .secret_access_key(secret.expose_secret());
                }
                if !s3.path_style {
                    builder = builder.enable_virtual_host_style();
                }
                Operator::new(builder)?.layer(opendal::layers::RetryLayer::new().with_max_times(3))
            }
        };
        Ok(Self {
            op,
            backend: config.backend,
            signer: UrlSigner::new(config.url_secret.expose_secret()),
            link_ttl: config.url_ttl,
            outage: storage_outage(),
        })
    }

    /// In-memory storage (tests and tools).
    pub fn memory(secret: &[u8]) -> Self {
        Self {
            op: Operator::new(services::Memory::default()).expect("memory storage builds"),
            backend: Backend::Memory,
            signer: UrlSigner::new(secret),
            link_ttl: Duration::from_secs(3600),
            outage: storage_outage(),
        }
    }

    /// The outage state, with the count of failures for the metrics.
    pub fn outage(&self) -> &Outage {
        &self.outage
    }

    /// Notes whether the backend worked (a missing object is an answer,
    /// not a failure) and maps its error.
    fn track<T>(
        &self,
        during: &'static str,
        result: Result<T, opendal::Error>,
    ) -> Result<T, StorageError> {
        match result {
            Err(err) if err.kind() != ErrorKind::NotFound => {
                self.outage.failed(during, &err.kind());
                Err(backend_error(err))
            }
            result => {
                self.outage.succeeded();
                result.map_err(backend_error)
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn signer(&self) -> &UrlSigner {
        &self.signer
    }

    pub fn link_ttl(&self) -> Duration {
        self.link_ttl
    }

    /// Opens a streaming write of `key`; nothing is visible until `close`.
    pub async fn writer(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<opendal::Writer, StorageError> {
        let writer = self
            .op
            .writer_with(key)
            .content_type(content_type)
            // Multipart parts of 8 MiB on S3: memory per upload stays bounded.
            .chunk(8 * 1024 * 1024)
            .await;
        self.track("write", writer)
    }

    /// The whole object (small files, tools and tests).
    pub async fn read(&self, key: &str) -> Result<Bytes, StorageError> {
        let buffer = self.track("read", self.op.read(key).await)?;
        Ok(buffer.to_bytes())
    }

    /// The object as a stream of chunks, and its size.
    pub async fn stream(
        &self,
        key: &str,
    ) -> Result<
        (
            u64,
            impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
        ),
        StorageError,
    > {
        let size = self
            .track("read", self.op.stat(key).await)?
            .content_length();
        let reader = self
            .op
            .reader_with(key)
            .chunk(256 * 1024)
            .await
            .map_err(backend_error)?;
        let stream = reader.into_bytes_stream(..).await.map_err(backend_error)?;
        Ok((size, stream))
    }

    /// Removes the object; removing one that is gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.track("delete", self.op.delete(key).await)
    }

    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        self.track("read", self.op.exists(key).await)
    }

    /// Every key under `prefix` (for `storage verify`).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let entries = self
            .op
            .list_with(prefix)
            .recursive(true)
            .await
            .map_err(StorageError::Backend)?;
        Ok(entries
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .map(|e| e.path().to_string())
            .collect())
    }

    /// Round trip to the backend, for the health check.
    pub async fn check(&self, timeout: Duration) -> Result<Duration, String> {
        let started = Instant::now();
        match tokio::time::timeout(timeout, self.op.check()).await {
            Ok(Ok(())) => Ok(started.elapsed()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }

    /// A link to `key` valid for the configured time.
    pub async fn signed_url(
        &self,
        tenant: Uuid,
        key: &str,
        name: &str,
        content_type: &str,
        disposition: Disposition,
    ) -> Result<SignedUrl, StorageError> {
        let expires_at = chrono::Utc::now()
            + chrono::Duration::from_std(self.link_ttl).unwrap_or(chrono::Duration::hours(1));
        let url = if self.backend.presigns() {
            self.op
                .presign_read_with(key, self.link_ttl)
                .override_content_disposition(&disposition.header_value(name))
                .override_content_type(content_type)
                .await
                .map_err(StorageError::Backend)?
                .uri()
                .to_string()
        } else {
            self.signer.link(&Grant {
                tenant,
                key: key.to_string(),
                expires: expires_at.timestamp(),
                disposition,
                content_type: content_type.to_string(),
                name: name.to_string(),
            })
        };
        Ok(SignedUrl { url, expires_at })
    }
}

/// `tenants/{tenant}/clients/{client}/{timestamp}_{name}`: where a client's
/// file lives. The timestamp (UTC, microseconds) keeps repeated uploads of
/// one name apart.
pub fn client_file_key(
    tenant: Uuid,
    client: Uuid,
    at: chrono::DateTime<chrono::Utc>,
    name: &FileName,
) -> String {
    format!(
        "tenants/{tenant}/clients/{client}/{}_{}",
        at.format("%Y%m%dT%H%M%S%.6fZ"),
        name.sanitized()
    )
}

/// The prefix every key of `tenant` starts with.
pub fn tenant_prefix(tenant: Uuid) -> String {
    format!("tenants/{tenant}/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::files::FileKind;

    #[test]
    fn keys_are_tenant_and_client_scoped_and_safe() {
        let tenant = Uuid::from_u128(1);
        let client = Uuid::from_u128(2);
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:30:00.123456Z")
            .unwrap()
            .to_utc();
        let name = FileName::parse("Consent form (v2).pdf", &FileKind::ALL).unwrap();
        let key = client_file_key(tenant, client, at, &name);
        assert_eq!(
            key,
            format!(
                "tenants/{tenant}/clients/{client}/20261201T093000.123456Z_Consent_form_v2.pdf"
            )
        );
        assert!(key.starts_with(&tenant_prefix(tenant)));
    }

    #[tokio::test]
    async fn memory_round_trip_and_app_signed_links() {
        let storage = Storage::memory(b"0123456789abcdef0123456789abcdef");
        let mut w = storage.writer("a/b.txt", "text/plain").await.unwrap();
        w.write(Bytes::from_static(b"hello")).await.unwrap();
        w.close().await.unwrap();
        assert!(storage.exists("a/b.txt").await.unwrap());
        assert_eq!(storage.read("a/b.txt").await.unwrap(), "hello");
        assert_eq!(storage.list("a/").await.unwrap(), vec!["a/b.txt"]);
        let link = storage
            .signed_url(
                Uuid::nil(),
                "a/b.txt",
                "b.txt",
                "text/plain",
                Disposition::Inline,
            )
            .await
            .unwrap();
        assert!(
            link.url.starts_with("/files/signed/a/b.txt?"),
            "{}",
            link.url
        );
        storage.delete("a/b.txt").await.unwrap();
        storage.delete("a/b.txt").await.unwrap();
        assert!(matches!(
            storage.read("a/b.txt").await,
            Err(StorageError::NotFound)
        ));
    }
}
