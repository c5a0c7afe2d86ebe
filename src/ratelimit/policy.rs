//! Rate-limit policies: a name and one or more windows ("10/s,100/min" is a
//! burst of 10 a second within a sustained 100 a minute). A request is
//! admitted only when every window of its policy has room.

use std::{fmt, time::Duration};

/// One window: at most `limit` requests in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    pub limit: u32,
    pub window: Duration,
}

impl Tier {
    pub fn window_ms(&self) -> u64 {
        self.window.as_millis() as u64
    }
}

/// What is limited, under which name (it appears in keys, headers and errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: &'static str,
    pub tiers: Vec<Tier>,
}

impl Policy {
    /// Parses `"100/min"` or `"10/s,100/min"`; units s, min, h, day.
    pub fn parse(name: &'static str, text: &str) -> Option<Policy> {
        let tiers = text
            .split(',')
            .map(|part| {
                let (count, unit) = part.trim().split_once('/')?;
                let limit: u32 = count.trim().parse().ok().filter(|n| *n > 0)?;
                let window = match unit.trim() {
                    "s" | "sec" | "second" => Duration::from_secs(1),
                    "min" | "minute" => Duration::from_secs(60),
                    "h" | "hour" => Duration::from_secs(3600),
                    "d" | "day" => Duration::from_secs(86_400),
                    _ => return None,
                };
                Some(Tier { limit, window })
            })
            .collect::<Option<Vec<_>>>()?;
        (!tiers.is_empty()).then_some(Policy { name, tiers })
    }

    /// The longest window: how long anything about a key is remembered.
    pub fn longest(&self) -> Duration {
        self.tiers
            .iter()
            .map(|t| t.window)
            .max()
            .unwrap_or_default()
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.window.as_secs() {
            1 => "second".to_string(),
            60 => "minute".to_string(),
            3600 => "hour".to_string(),
            86_400 => "day".to_string(),
            secs => format!("{secs} seconds"),
        };
        write!(f, "{} per {unit}", self.limit)
    }
}

/// Every policy the app enforces, each configurable by environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Staff reading (pages, lists): per tenant, user and address.
    Read,
    /// Staff changing things: per tenant, user and address.
    Write,
    /// Requests without an account (sign-up, password resets, the API
    /// without a key): per address. Meant for abuse, so it is tight.
    Anonymous,
    /// Public pages (sign-in, sign-up...) loaded without an account: per
    /// address, loose enough for an office of 50 behind one address.
    PublicPages,
    /// Sign-in attempts: per account, and per address and account.
    SignIn,
    /// Sign-in attempts per address, whatever the account: a ceiling for a
    /// whole office behind one address, well above `SignIn`.
    SignInAddress,
    /// File uploads: per tenant.
    Upload,
    /// The REST API: per API key.
    Api,
    /// Error reports from pages (the browser tunnel): per address.
    ErrorReports,
    /// Mail staff send to clients from the inbox: per business, so a
    /// mistaken script or a stolen session cannot spam from its mailbox.
    MailSend,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 10] = [
        PolicyKind::Read,
        PolicyKind::Write,
        PolicyKind::Anonymous,
        PolicyKind::PublicPages,
        PolicyKind::SignIn,
        PolicyKind::SignInAddress,
        PolicyKind::Upload,
        PolicyKind::Api,
        PolicyKind::ErrorReports,
        PolicyKind::MailSend,
    ];

    /// The name in keys, headers and errors.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Read => "read",
            PolicyKind::Write => "write",
            PolicyKind::Anonymous => "anonymous",
            PolicyKind::PublicPages => "public_pages",
            PolicyKind::SignIn => "sign_in",
            PolicyKind::SignInAddress => "sign_in_address",
            PolicyKind::Upload => "upload",
            PolicyKind::Api => "api",
            PolicyKind::ErrorReports => "error_reports",
            PolicyKind::MailSend => "mail_send",
        }
    }

    /// The environment variable that sets it.
    pub fn variable(self) -> &'static str {
        match self {
            PolicyKind::Read => "RATE_LIMIT_READ",
            PolicyKind::Write => "RATE_LIMIT_WRITE",
            PolicyKind::Anonymous => "RATE_LIMIT_ANONYMOUS",
            PolicyKind::PublicPages => "RATE_LIMIT_PUBLIC_PAGES",
            PolicyKind::SignIn => "RATE_LIMIT_SIGN_IN",
            PolicyKind::SignInAddress => "RATE_LIMIT_SIGN_IN_ADDRESS",
            PolicyKind::Upload => "RATE_LIMIT_UPLOAD",
            PolicyKind::Api => "RATE_LIMIT_API",
            PolicyKind::ErrorReports => "RATE_LIMIT_ERROR_REPORTS",
            PolicyKind::MailSend => "RATE_LIMIT_MAIL_SEND",
        }
    }

    /// The shipped default, as `.env.example` states it.
    pub fn default_rate(self) -> &'static str {
        match self {
            PolicyKind::Read => "100/min",
            PolicyKind::Write => "20/min",
            PolicyKind::Anonymous => "10/min",
            PolicyKind::PublicPages => "600/min",
            PolicyKind::SignIn => "5/min",
            PolicyKind::SignInAddress => "300/min",
            PolicyKind::Upload => "5/h",
            PolicyKind::Api => "1000/min",
            PolicyKind::ErrorReports => "30/min",
            PolicyKind::MailSend => "30/min,500/day",
        }
    }
}

/// The configured policy of each kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies(std::collections::HashMap<PolicyKind, Policy>);

impl Policies {
    /// Builds the set from the rate text of each kind; the error names the
    /// kind whose text does not parse.
    pub fn from_rates(rate: impl Fn(PolicyKind) -> String) -> Result<Policies, PolicyKind> {
        PolicyKind::ALL
            .into_iter()
            .map(|kind| {
                Policy::parse(kind.name(), &rate(kind))
                    .map(|policy| (kind, policy))
                    .ok_or(kind)
            })
            .collect::<Result<_, _>>()
            .map(Policies)
    }

    /// Every policy, for what spans them all (the longest window).
    pub fn all(&self) -> impl Iterator<Item = &Policy> {
        self.0.values()
    }

    /// Replaces the policy of `kind`.
    pub fn set(&mut self, kind: PolicyKind, policy: Policy) {
        self.0.insert(kind, policy);
    }

    pub fn defaults() -> Policies {
        Self::from_rates(|kind| kind.default_rate().to_string())
            .expect("the default policies parse")
    }
}

impl std::ops::Index<PolicyKind> for Policies {
    type Output = Policy;

    fn index(&self, kind: PolicyKind) -> &Policy {
        // Every kind is present: `from_rates` builds all of them.
        &self.0[&kind]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_layered_windows() {
        let p = Policy::parse("read", "10/s, 100/min").unwrap();
        assert_eq!(
            p.tiers,
            vec![
                Tier {
                    limit: 10,
                    window: Duration::from_secs(1)
                },
                Tier {
                    limit: 100,
                    window: Duration::from_secs(60)
                }
            ]
        );
        assert_eq!(p.longest(), Duration::from_secs(60));
        assert_eq!(
            Policy::parse("upload", "5/hour").unwrap().tiers[0].to_string(),
            "5 per hour"
        );
    }

    #[test]
    fn rejects_what_is_not_a_rate() {
        for bad in [
            "", "100", "0/min", "-1/min", "10/week", "ten/min", "10/min,",
        ] {
            assert!(Policy::parse("read", bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn defaults_match_the_documented_limits() {
        let p = Policies::defaults();
        let first = |kind: PolicyKind| p[kind].tiers[0].to_string();
        assert_eq!(first(PolicyKind::Read), "100 per minute");
        assert_eq!(first(PolicyKind::Write), "20 per minute");
        assert_eq!(first(PolicyKind::Anonymous), "10 per minute");
        assert_eq!(first(PolicyKind::SignIn), "5 per minute");
        assert_eq!(first(PolicyKind::Upload), "5 per hour");
        assert_eq!(first(PolicyKind::Api), "1000 per minute");
        assert_eq!(first(PolicyKind::ErrorReports), "30 per minute");
        assert_eq!(p.all().count(), PolicyKind::ALL.len());
    }
}
