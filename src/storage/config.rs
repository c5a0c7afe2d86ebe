//! Storage's and uploads' settings (`STORAGE_*`, `S3_*`, `FILE_URL_*`, `UPLOAD_*`).

use std::time::Duration;

use secrecy::{SecretSlice, SecretString};

use super::Backend;
use crate::{
    config::{env::http_url, ConfigError, Env},
    domain::files::FileKind,
};

/// The file-link key used when `FILE_URL_SECRET` is unset in development.
const DEV_FILE_URL_SECRET: &str = "frontdesk-development-file-url-secret";

/// Where client files are kept, and how links to them are signed.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub backend: Backend,
    /// The `fs` backend's directory.
    pub fs_root: std::path::PathBuf,
    pub s3: S3Config,
    /// How long a link to a file works.
    pub url_ttl: Duration,
    /// Signs the links of `fs` and `memory` storage; secret.
    pub url_secret: SecretSlice<u8>,
}

/// An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO).
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// Unset means AWS; set for R2, MinIO and the like.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: Option<SecretString>,
    pub secret_access_key: Option<SecretString>,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    pub path_style: bool,
}

/// What an upload may be.
#[derive(Debug, Clone)]
pub struct UploadConfig {
    pub max_bytes: u64,
    pub allowed: Vec<FileKind>,
}

impl StorageConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let backend = env.parse_with(
            "STORAGE_BACKEND",
            Backend::Fs,
            "fs, s3 or memory",
            Backend::parse,
        )?;
        let s3 = S3Config {
            endpoint: env.parse_with("S3_ENDPOINT", None, "an http:// or https:// URL", |v| {
                http_url(v).map(Some)
            })?,
            region: env.string("S3_REGION", "us-east-1"),
            bucket: env.string("S3_BUCKET", ""),
            access_key_id: env.get("S3_ACCESS_KEY_ID").map(SecretString::from),
            secret_access_key: env.get("S3_SECRET_ACCESS_KEY").map(SecretString::from),
            path_style: env.flag("S3_PATH_STYLE", true)?,
        };
        if backend == Backend::S3 {
            if s3.bucket.is_empty() {
                return Err(ConfigError {
                    variable: "S3_BUCKET",
                    problem: "is not set (it is required when STORAGE_BACKEND=s3)".into(),
                    expected: "the bucket's name",
                });
            }
            if s3.access_key_id.is_some() != s3.secret_access_key.is_some() {
                return Err(ConfigError {
                    variable: "S3_SECRET_ACCESS_KEY",
                    problem: "is set without S3_ACCESS_KEY_ID, or the other way round".into(),
                    expected: "both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither",
                });
            }
        }
        // S3 signs its own links: the key is needed in production only for the others.
        let url_secret = if backend == Backend::S3 && env.get("FILE_URL_SECRET").is_none() {
            DEV_FILE_URL_SECRET.as_bytes().to_vec()
        } else {
            env.secret(
                "FILE_URL_SECRET",
                32,
                DEV_FILE_URL_SECRET,
                "links to files in fs storage are signed with it in production",
                "a random secret of at least 32 characters",
            )?
        };
        Ok(StorageConfig {
            backend,
            fs_root: env.string("STORAGE_FS_ROOT", ".data/storage").into(),
            s3,
            url_ttl: env.seconds("FILE_URL_TTL_SECS", 3600)?,
            url_secret: url_secret.into(),
        })
    }
}

impl UploadConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(UploadConfig {
            max_bytes: env.parse_positive(
                "UPLOAD_MAX_BYTES",
                25 * 1024 * 1024,
                "a size in bytes above 0, such as 26214400",
            )?,
            allowed: env.parse_with(
                "UPLOAD_ALLOWED_TYPES",
                FileKind::ALL.to_vec(),
                "extensions from jpg, png, webp, gif, pdf, txt, csv, docx, xlsx, separated by commas",
                FileKind::parse_list,
            )?,
        })
    }
}
