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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    /// Staff reading (pages, lists): per tenant, user and address.
    pub read: Policy,
    /// Staff changing things: per tenant, user and address.
    pub write: Policy,
    /// Requests without an account (sign-up, password resets, the API
    /// without a key): per address. Meant for abuse, so it is tight.
    pub anonymous: Policy,
    /// Public pages (sign-in, sign-up...) loaded without an account: per
    /// address, loose enough for an office of 50 behind one address.
    pub public_pages: Policy,
    /// Sign-in attempts: per account, and per address and account.
    pub sign_in: Policy,
    /// Sign-in attempts per address, whatever the account: a ceiling for a
    /// whole office behind one address, well above `sign_in`.
    pub sign_in_address: Policy,
    /// File uploads: per tenant.
    pub upload: Policy,
    /// Share links created: per tenant.
    pub share_links: Policy,
    /// The REST API: per API key.
    pub api: Policy,
    /// Event intake from the browser: per tenant, user and address.
    pub events: Policy,
}

/// `(variable, policy name, default)` for each policy, in the order of [`Policies`].
pub const POLICY_VARIABLES: [(&str, &str, &str); 10] = [
    ("RATE_LIMIT_READ", "read", "100/min"),
    ("RATE_LIMIT_WRITE", "write", "20/min"),
    ("RATE_LIMIT_ANONYMOUS", "anonymous", "10/min"),
    ("RATE_LIMIT_PUBLIC_PAGES", "public_pages", "600/min"),
    ("RATE_LIMIT_SIGN_IN", "sign_in", "5/min"),
    ("RATE_LIMIT_SIGN_IN_ADDRESS", "sign_in_address", "300/min"),
    ("RATE_LIMIT_UPLOAD", "upload", "5/h"),
    ("RATE_LIMIT_SHARE_LINKS", "share_links", "50/day"),
    ("RATE_LIMIT_API", "api", "1000/min"),
    ("RATE_LIMIT_EVENTS", "events", "10/s,100/min"),
];

impl Policies {
    /// Builds the set from one text per policy, in [`POLICY_VARIABLES`] order;
    /// the error is the index of the text that does not parse.
    pub fn from_texts(texts: [&str; 10]) -> Result<Policies, usize> {
        let parse = |i: usize| Policy::parse(POLICY_VARIABLES[i].1, texts[i]).ok_or(i);
        Ok(Policies {
            read: parse(0)?,
            write: parse(1)?,
            anonymous: parse(2)?,
            public_pages: parse(3)?,
            sign_in: parse(4)?,
            sign_in_address: parse(5)?,
            upload: parse(6)?,
            share_links: parse(7)?,
            api: parse(8)?,
            events: parse(9)?,
        })
    }

    /// Every policy, for what spans them all (the longest window).
    pub fn all(&self) -> [&Policy; 10] {
        [
            &self.read,
            &self.write,
            &self.anonymous,
            &self.public_pages,
            &self.sign_in,
            &self.sign_in_address,
            &self.upload,
            &self.share_links,
            &self.api,
            &self.events,
        ]
    }

    pub fn defaults() -> Policies {
        Self::from_texts(POLICY_VARIABLES.map(|(_, _, default)| default))
            .expect("the default policies parse")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_layered_windows() {
        let p = Policy::parse("events", "10/s, 100/min").unwrap();
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
        assert_eq!(p.read.tiers[0].to_string(), "100 per minute");
        assert_eq!(p.write.tiers[0].to_string(), "20 per minute");
        assert_eq!(p.anonymous.tiers[0].to_string(), "10 per minute");
        assert_eq!(p.sign_in.tiers[0].to_string(), "5 per minute");
        assert_eq!(p.upload.tiers[0].to_string(), "5 per hour");
        assert_eq!(p.share_links.tiers[0].to_string(), "50 per day");
        assert_eq!(p.api.tiers[0].to_string(), "1000 per minute");
        assert_eq!(p.events.tiers.len(), 2);
    }
}
