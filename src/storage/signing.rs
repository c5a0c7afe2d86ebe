//! Links to stored files signed by the app, for backends that cannot presign
//! (`fs`, `memory`). The signature covers the method, the key, the expiry,
//! the tenant and how the file is to be served, so changing any of them
//! breaks it; the handler that serves such links checks it in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// How the browser is told to treat the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in place (images, PDFs).
    Inline,
    /// Saved as a download.
    Attachment,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Inline => "inline",
            Disposition::Attachment => "attachment",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "inline" => Some(Disposition::Inline),
            "attachment" => Some(Disposition::Attachment),
            _ => None,
        }
    }

    /// The `Content-Disposition` value, with the name in both the plain and
    /// the RFC 5987 form so every browser shows it right.
    pub fn header_value(self, name: &str) -> String {
        let ascii: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut encoded = String::new();
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                encoded.push(b as char);
            } else {
                encoded.push_str(&format!("%{b:02X}"));
            }
        }
        format!(
            "{}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}",
            self.as_str()
        )
    }
}

/// What a signed link grants: one object, served one way, until `expires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub tenant: Uuid,
    pub key: String,
    /// Seconds since the epoch.
    pub expires: i64,
    pub disposition: Disposition,
    pub content_type: String,
    pub name: String,
}

#[derive(Clone)]
pub struct UrlSigner {
    secret: Vec<u8>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(<redacted>)")
    }
}

impl UrlSigner {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, grant: &Grant) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        // Length-prefixed fields: no two different grants sign the same bytes.
        for field in [
            "GET",
            grant.key.as_str(),
            &grant.expires.to_string(),
            &grant.tenant.to_string(),
            grant.disposition.as_str(),
            grant.content_type.as_str(),
            grant.name.as_str(),
        ] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac
    }

    /// The signature of `grant`, hex.
    pub fn sign(&self, grant: &Grant) -> String {
        hex::encode(self.mac(grant).finalize().into_bytes())
    }

    /// True when `signature` (hex) is this signer's for `grant`; constant time.
    pub fn verify(&self, grant: &Grant, signature: &str) -> bool {
        match hex::decode(signature) {
            Ok(bytes) => self.mac(grant).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }

    /// `/files/signed/{key}?…`: the path and query of the link.
    pub fn link(&self, grant: &Grant) -> String {
        format!(
            "/files/signed/{}?tenant={}&expires={}&disposition={}&type={}&name={}&signature={}",
            grant.key,
            grant.tenant,
            grant.expires,
            grant.disposition.as_str(),
            query_escape(&grant.content_type),
            query_escape(&grant.name),
            self.sign(grant)
        )
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            tenant: Uuid::from_u128(1),
            key: "tenants/1/clients/2/20261201T120000Z_a.pdf".into(),
            expires: 1_900_000_000,
            disposition: Disposition::Attachment,
            content_type: "application/pdf".into(),
            name: "Intake form.pdf".into(),
        }
    }

    #[test]
    fn every_part_of_the_grant_is_signed() {
        let signer = UrlSigner::new(b"0123456789abcdef0123456789abcdef");
        let g = grant();
        let sig = signer.sign(&g);
        assert!(signer.verify(&g, &sig));
        let changed = [
            Grant {
                tenant: Uuid::from_u128(9),
                ..g.clone()
            },
            Grant {
                key: g.key.replace("a.pdf", "b.pdf"),
                ..g.clone()
            },
            Grant {
                expires: g.expires + 1,
                ..g.clone()
            },
            Grant {
                disposition: Disposition::Inline,
                ..g.clone()
            },
            Grant {
                content_type: "text/html".into(),
                ..g.clone()
            },
            Grant {
                name: "x.pdf".into(),
                ..g.clone()
            },
        ];
        for other in changed {
            assert!(!signer.verify(&other, &sig), "{other:?}");
        }
        assert!(!UrlSigner::new(b"another secret of enough length!").verify(&g, &sig));
        assert!(!signer.verify(&g, "zz"));
        assert!(!signer.verify(&g, ""));
    }

    #[test]
    fn content_disposition_carries_any_name_safely() {
        assert_eq!(
            Disposition::Attachment.header_value("Ärzte \"Brief\".pdf"),
            "attachment; filename=\"_rzte _Brief_.pdf\"; filename*=UTF-8''%C3%84rzte%20%22Brief%22.pdf"
        );
        let link = UrlSigner::new(b"k").link(&grant());
        assert!(link.contains("&name=Intake%20form.pdf&"), "{link}");
        assert!(link.contains("&type=application%2Fpdf&"), "{link}");
    }
}
