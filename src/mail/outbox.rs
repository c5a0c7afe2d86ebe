//! Reads the development outbox back for its page: newest message first,
//! and only the messages of the business asking.

use crate::domain::background::OutboxMessageView;

/// The header the outbox marks a business's messages with (never sent over SMTP).
pub const BUSINESS_HEADER: &str = "X-Frontdesk-Business";

/// At most `limit` of `business`'s messages, newest first; unreadable
/// files are skipped. Account mail (resets) carries no business and is
/// never listed.
pub fn list(
    dir: &std::path::Path,
    limit: usize,
    business: uuid::Uuid,
) -> std::io::Result<Vec<OutboxMessageView>> {
    let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    files.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    Ok(files
        .into_iter()
        .filter_map(|(_, path)| read(&path, business))
        .take(limit)
        .collect())
}

fn read(path: &std::path::Path, business: uuid::Uuid) -> Option<OutboxMessageView> {
    use mailparse::MailHeaderMap;
    let raw = std::fs::read(path).ok()?;
    let mail = mailparse::parse_mail(&raw).ok()?;
    let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
    if header(BUSINESS_HEADER).trim() != business.to_string() {
        return None;
    }
    let mut text = String::new();
    let mut attachments = Vec::new();
    collect(&mail, &mut text, &mut attachments);
    Some(OutboxMessageView {
        id: path.file_stem()?.to_string_lossy().into_owned(),
        to: header("To"),
        subject: header("Subject"),
        date: header("Date"),
        text,
        attachments,
    })
}

/// The first text/plain part's text, and every attachment's file name.
fn collect(part: &mailparse::ParsedMail<'_>, text: &mut String, attachments: &mut Vec<String>) {
    let disposition = part.get_content_disposition();
    if let Some(name) = disposition.params.get("filename") {
        attachments.push(name.clone());
    } else if part.ctype.mimetype == "text/plain" && text.is_empty() {
        *text = part.get_body().unwrap_or_default();
    }
    for sub in &part.subparts {
        collect(sub, text, attachments);
    }
}
