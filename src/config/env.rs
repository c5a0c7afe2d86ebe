//! Reading variables, with the error wording in one place. Each platform
//! module reads its own variables through [`Env`].

use std::str::FromStr;

use super::{AppEnv, ConfigError};

/// The variables, as the process environment (or a test's map) gives them,
/// and the environment the app runs in (some defaults depend on it).
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    pub app_env: AppEnv,
}

impl<'a> Env<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>, app_env: AppEnv) -> Self {
        Env { lookup, app_env }
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    /// The value, or `None` when unset or blank (blank counts as unset, as in `.env.example`).
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    pub fn parse_with<T>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            // The value itself is not echoed: it may be a secret.
            Some(v) => parse(&v).ok_or(ConfigError {
                variable: name,
                problem: "is malformed".into(),
                expected,
            }),
        }
    }

    pub fn parse<T: FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
    ) -> Result<T, ConfigError> {
        self.parse_with(name, default, expected, |v| v.parse().ok())
    }

    pub fn parse_positive<T: FromStr + PartialOrd + Default>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
    ) -> Result<T, ConfigError> {
        self.parse_with(name, default, expected, |v| {
            v.parse().ok().filter(|n| *n > T::default())
        })
    }

    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        self.parse_with(name, default, "true or false", parse_bool)
    }

    pub fn seconds(
        &self,
        name: &'static str,
        default: u64,
    ) -> Result<std::time::Duration, ConfigError> {
        self.parse_positive(name, default, "a whole number of seconds above 0")
            .map(std::time::Duration::from_secs)
    }

    pub fn millis(
        &self,
        name: &'static str,
        default: u64,
    ) -> Result<std::time::Duration, ConfigError> {
        self.parse_positive(name, default, "a whole number of milliseconds above 0")
            .map(std::time::Duration::from_millis)
    }

    pub fn minutes(
        &self,
        name: &'static str,
        default: u64,
    ) -> Result<std::time::Duration, ConfigError> {
        self.parse_positive(name, default, "a whole number of minutes above 0")
            .map(|m: u64| std::time::Duration::from_secs(60 * m))
    }

    /// A secret of at least `min_len` characters. Unset, it is `development`
    /// outside production and an error in production (`why` says what it protects).
    pub fn secret(
        &self,
        name: &'static str,
        min_len: usize,
        development: &str,
        why: &str,
        expected: &'static str,
    ) -> Result<Vec<u8>, ConfigError> {
        match self.get(name) {
            Some(k) if k.len() >= min_len => Ok(k.into_bytes()),
            Some(_) => Err(ConfigError {
                variable: name,
                problem: format!("is shorter than {min_len} characters"),
                expected,
            }),
            None if self.is_production() => Err(ConfigError {
                variable: name,
                problem: format!("is not set ({why})"),
                expected,
            }),
            None => Ok(development.as_bytes().to_vec()),
        }
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// An absolute `http://` or `https://` URL, without a trailing slash.
pub fn http_url(v: &str) -> Option<String> {
    (v.starts_with("http://") || v.starts_with("https://"))
        .then(|| v.trim_end_matches('/').to_string())
}
