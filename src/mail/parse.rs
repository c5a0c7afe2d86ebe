//! Reading a received message: its threading headers, addresses, date, the
//! text and sanitised HTML bodies in whatever charset they came, and its
//! attachments. A message that cannot be read says why, so the sync can
//! record it and go on with the next one.

use chrono::{DateTime, TimeZone, Utc};
use mailparse::{DispositionType, MailAddr, MailHeaderMap, ParsedMail};
use sha2::{Digest, Sha256};

/// What the inbox stores of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    /// Without angle brackets; made from the bytes' hash when missing.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// References and In-Reply-To, in order, each once, never itself.
    pub thread_refs: Vec<String>,
    pub subject: String,
    pub from_address: String,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub date: Option<DateTime<Utc>>,
    pub text: String,
    /// Sanitised: no script, no event handler, no form, no frame.
    pub html: Option<String>,
    pub attachments: Vec<ParsedAttachment>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAttachment {
    pub file_name: String,
    pub content_type: String,
    pub content_id: Option<String>,
    pub inline: bool,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for ParsedAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedAttachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("the message cannot be read: {0}")]
pub struct ParseError(pub String);

impl From<mailparse::MailParseError> for ParseError {
    fn from(err: mailparse::MailParseError) -> Self {
        ParseError(err.to_string())
    }
}

/// The Message-ID of mail that has none: the same bytes give the same id.
pub fn synthetic_message_id(raw: &[u8]) -> String {
    format!(
        "sha256-{}@frontdesk.invalid",
        hex::encode(&Sha256::digest(raw)[..16])
    )
}

/// Every `<id>` in a header value, without brackets.
pub fn message_ids(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start + 1..].find('>') else {
            break;
        };
        let id = rest[start + 1..start + 1 + len].trim();
        if !id.is_empty() && !id.contains(char::is_whitespace) && id.len() <= 998 {
            ids.push(id.to_string());
        }
        rest = &rest[start + 1 + len + 1..];
    }
    // A bare id without brackets (some programs write them so).
    if ids.is_empty() {
        let bare = value.trim();
        if bare.contains('@') && !bare.contains(char::is_whitespace) && bare.len() <= 998 {
            ids.push(bare.to_string());
        }
    }
    ids
}

fn addresses(mail: &ParsedMail<'_>, header: &str) -> Vec<(String, Option<String>)> {
    let Some(header) = mail.headers.get_first_header(header) else {
        return Vec::new();
    };
    let Ok(list) = mailparse::addrparse_header(header) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for addr in list.iter() {
        match addr {
            MailAddr::Single(single) => {
                out.push((single.addr.to_lowercase(), single.display_name.clone()))
            }
            MailAddr::Group(group) => {
                for single in &group.addrs {
                    out.push((single.addr.to_lowercase(), single.display_name.clone()));
                }
            }
        }
    }
    out
}

/// Reads `raw`. Fails only when the MIME structure or a part's encoding is
/// broken; unknown charsets decode as well as they can.
pub fn parse(raw: &[u8]) -> Result<ParsedMessage, ParseError> {
    let mail = mailparse::parse_mail(raw)?;
    if mail.headers.is_empty() {
        return Err(ParseError("it has no header".into()));
    }
    let header = |name: &str| mail.headers.get_first_value(name);
    let message_id = header("Message-ID")
        .and_then(|v| message_ids(&v).into_iter().next())
        .unwrap_or_else(|| synthetic_message_id(raw));
    let in_reply_to = header("In-Reply-To").and_then(|v| message_ids(&v).into_iter().next());
    let mut thread_refs: Vec<String> = Vec::new();
    let references = header("References")
        .map(|v| message_ids(&v))
        .unwrap_or_default();
    for id in references.into_iter().chain(in_reply_to.clone()) {
        // A message never answers itself: that would be a cycle of one.
        if id != message_id && !thread_refs.contains(&id) {
            thread_refs.push(id);
        }
    }
    let from = addresses(&mail, "From").into_iter().next();
    let date = header("Date")
        .and_then(|d| mailparse::dateparse(&d).ok())
        .and_then(|ts| Utc.timestamp_opt(ts, 0).single());

    let mut body = Bodies::default();
    collect(&mail, &mut body)?;
    let html = body.html.map(|html| sanitize_html(&html));
    let text = match body.text {
        Some(text) => text,
        None => html.as_deref().map(text_of_html).unwrap_or_default(),
    };
    Ok(ParsedMessage {
        message_id,
        in_reply_to,
        thread_refs,
        subject: header("Subject").unwrap_or_default().trim().to_string(),
        from_address: from.as_ref().map(|f| f.0.clone()).unwrap_or_default(),
        from_name: from.and_then(|f| f.1).filter(|n| !n.trim().is_empty()),
        to: addresses(&mail, "To").into_iter().map(|a| a.0).collect(),
        cc: addresses(&mail, "Cc").into_iter().map(|a| a.0).collect(),
        date,
        text: text.replace("\r\n", "\n"),
        html,
        attachments: body.attachments,
    })
}

#[derive(Default)]
struct Bodies {
    text: Option<String>,
    html: Option<String>,
    attachments: Vec<ParsedAttachment>,
}

fn collect(part: &ParsedMail<'_>, bodies: &mut Bodies) -> Result<(), ParseError> {
    if !part.subparts.is_empty() {
        for sub in &part.subparts {
            collect(sub, bodies)?;
        }
        return Ok(());
    }
    let disposition = part.get_content_disposition();
    let mime = part.ctype.mimetype.to_lowercase();
    let content_id = part
        .headers
        .get_first_value("Content-ID")
        .and_then(|v| message_ids(&v).into_iter().next());
    let file_name = disposition
        .params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .cloned();
    let is_attachment = disposition.disposition == DispositionType::Attachment
        || file_name.is_some() && !mime.starts_with("text/")
        || content_id.is_some() && !mime.starts_with("text/");
    if !is_attachment && mime == "text/plain" && bodies.text.is_none() {
        bodies.text = Some(part.get_body()?);
        return Ok(());
    }
    if !is_attachment && mime == "text/html" && bodies.html.is_none() {
        bodies.html = Some(part.get_body()?);
        return Ok(());
    }
    let bytes = part.get_body_raw()?;
    let file_name = file_name
        .map(|n| clean_file_name(&n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| default_name(&mime, bodies.attachments.len() + 1));
    bodies.attachments.push(ParsedAttachment {
        file_name,
        content_type: mime,
        inline: disposition.disposition == DispositionType::Inline || content_id.is_some(),
        content_id,
        bytes,
    });
    Ok(())
}

fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control())
        .take(255)
        .collect::<String>()
        .trim()
        .to_string()
}

fn default_name(mime: &str, n: usize) -> String {
    let extension = match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        "text/calendar" => "ics",
        "text/plain" => "txt",
        _ => "bin",
    };
    format!("attachment-{n}.{extension}")
}

/// Mail HTML as it may be shown: formatting kept; scripts, event handlers,
/// forms, frames, `javascript:` and other active URLs removed. Remote
/// resources stay in the markup, and the frame's policy blocks them until
/// staff ask for images.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .add_tags(["font", "center"])
        .add_generic_attributes(["style", "align", "bgcolor", "width", "height", "valign"])
        .add_tag_attributes("font", ["color", "face", "size"])
        .add_tag_attributes("img", ["src", "alt", "width", "height"])
        .url_schemes(["http", "https", "mailto", "tel", "cid", "data"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
}

/// Plain text of sanitised HTML, for mail that has no text part.
fn text_of_html(html: &str) -> String {
    let text = ammonia::Builder::empty()
        .clean(&html.replace("<br", "\n<br").replace("</p>", "</p>\n"))
        .to_string();
    html_escape::decode_html_entities(&text)
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threading_headers_are_read_and_never_name_the_message_itself() {
        let raw = b"Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nReferences: <root@x> <a@x> <b@x>\r\nFrom: Mia <Mia@Example.com>\r\nSubject: Re: Visit\r\n\r\nHello";
        let m = parse(raw).unwrap();
        assert_eq!(m.message_id, "b@x");
        assert_eq!(m.in_reply_to.as_deref(), Some("a@x"));
        assert_eq!(m.thread_refs, ["root@x", "a@x"]);
        assert_eq!(m.from_address, "mia@example.com");
        assert_eq!(m.from_name.as_deref(), Some("Mia"));
        assert_eq!(m.text, "Hello");
    }

    #[test]
    fn mail_without_message_id_gets_one_from_its_bytes() {
        let raw = b"From: a@example.com\r\nSubject: x\r\n\r\nbody";
        let first = parse(raw).unwrap().message_id;
        assert_eq!(first, parse(raw).unwrap().message_id);
        assert!(first.starts_with("sha256-"));
    }

    #[test]
    fn charsets_decode() {
        let latin2 = b"From: a@example.com\r\nSubject: =?ISO-8859-2?Q?=AEluti?=\r\nContent-Type: text/plain; charset=ISO-8859-2\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xAElu\xBBou\xE8k\xFD k\xF9\xF2";
        let m = parse(latin2).unwrap();
        assert_eq!(m.subject, "Žluti");
        assert!(m.text.starts_with("Žlu"), "{}", m.text);
        let cp1251 = b"From: a@example.com\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n\xcf\xf0\xe8\xe2\xe5\xf2";
        assert_eq!(parse(cp1251).unwrap().text, "Привет");
    }

    #[test]
    fn broken_encoding_is_an_error_not_a_panic() {
        let raw = b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@not base64@@@@\r\n--b--\r\n";
        assert!(parse(raw).is_err());
    }

    #[test]
    fn hostile_html_is_made_inert() {
        let clean = sanitize_html(
            r#"<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(2)">go</a><img src="cid:logo" onerror="y()"><form><input></form><iframe src="https://evil"></iframe><meta http-equiv="refresh" content="0;url=https://evil"><svg onload="z()"></svg></p>"#,
        );
        for banned in [
            "script",
            "onclick",
            "onerror",
            "javascript:",
            "<form",
            "<iframe",
            "<meta",
            "onload",
            "<svg",
        ] {
            assert!(!clean.contains(banned), "{banned} in {clean}");
        }
        assert!(clean.contains(r#"src="cid:logo""#), "{clean}");
    }

    #[test]
    fn html_only_mail_gets_text() {
        let raw = b"From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello &amp; welcome</p><p>Line two</p>";
        let m = parse(raw).unwrap();
        assert_eq!(m.text, "Hello & welcome\nLine two");
        assert!(m.html.is_some());
    }
}
