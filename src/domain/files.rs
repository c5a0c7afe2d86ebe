//! Client files: which names and types are accepted, in the form and on the
//! server alike.

use serde::{Deserialize, Serialize};

/// The longest accepted file name, in bytes.
pub const MAX_NAME_BYTES: usize = 200;

/// A file name as a person gave it, checked: one path segment, no control
/// characters, no leading dot, bounded length, and a known extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    name: String,
    kind: FileKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    #[error("the file has no name")]
    Empty,
    #[error("a file name has at most {MAX_NAME_BYTES} bytes")]
    TooLong,
    #[error("a file name may not contain '/', '\\' or an encoded path separator")]
    PathSeparator,
    #[error("a file name may not contain control characters")]
    ControlCharacter,
    #[error("a file name may not start with a dot")]
    LeadingDot,
    #[error("files of type '{0}' are not accepted (accepted: {1})")]
    NotAccepted(String, String),
}

impl FileName {
    /// Checks `text` against the name rules and the accepted `kinds`.
    pub fn parse(text: &str, accepted: &[FileKind]) -> Result<Self, FileNameError> {
        // Direction controls would show the name (and its extension) other
        // than it is; they are dropped before any rule is checked.
        let stripped = crate::domain::text::without_bidi_controls(text);
        let name = stripped.trim();
        if name.is_empty() {
            return Err(FileNameError::Empty);
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(FileNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(FileNameError::ControlCharacter);
        }
        // Decoded as a server or a browser might: `%2e%2e%2f`, `%5c`, `%00`.
        let decoded = percent_decoded(name);
        if [name, decoded.as_str()]
            .iter()
            .any(|n| n.contains('/') || n.contains('\\'))
        {
            return Err(FileNameError::PathSeparator);
        }
        if decoded.chars().any(char::is_control) {
            return Err(FileNameError::ControlCharacter);
        }
        if name.starts_with('.') || decoded.starts_with('.') {
            return Err(FileNameError::LeadingDot);
        }
        let extension = name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default();
        let kind = FileKind::from_extension(&extension)
            .filter(|k| accepted.contains(k))
            .ok_or_else(|| {
                FileNameError::NotAccepted(
                    if extension.is_empty() {
                        "(no extension)".into()
                    } else {
                        extension.clone()
                    },
                    accepted
                        .iter()
                        .map(|k| k.extension())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
        Ok(Self {
            name: name.to_string(),
            kind,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The type the name claims.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// A storage-safe form of the name (see [`storage_name`]), with the
    /// extension of its kind.
    pub fn sanitized(&self) -> String {
        let (stem, _) = self.name.rsplit_once('.').unwrap_or((&self.name, ""));
        storage_name(stem, self.kind.extension())
    }
}

/// ASCII letters, digits, `-` and `_` from `stem` (runs of anything else
/// become one `_`), then `.extension`; at most 80 bytes, never empty.
pub fn storage_name(stem: &str, extension: &str) -> String {
    let mut clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    while clean.contains("__") {
        clean = clean.replace("__", "_");
    }
    let mut clean = clean.trim_matches('_').to_string();
    if clean.is_empty() {
        clean = "file".into();
    }
    let extension: String = extension
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect::<String>()
        .to_ascii_lowercase();
    if extension.is_empty() {
        clean.truncate(80);
        return clean;
    }
    clean.truncate(80 - 1 - extension.len());
    format!("{clean}.{extension}")
}

/// `%xx` sequences decoded (repeatedly, so double encoding is seen too);
/// anything else kept as it is.
fn percent_decoded(text: &str) -> String {
    let mut current = text.to_string();
    for _ in 0..3 {
        let bytes = current.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
                (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                    out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        let next = String::from_utf8_lossy(&out).into_owned();
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// The kinds of file a client record can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Jpg,
    Png,
    Webp,
    Gif,
    Pdf,
    Txt,
    Csv,
    Docx,
    Xlsx,
}

impl FileKind {
    pub const ALL: [FileKind; 9] = [
        FileKind::Jpg,
        FileKind::Png,
        FileKind::Webp,
        FileKind::Gif,
        FileKind::Pdf,
        FileKind::Txt,
        FileKind::Csv,
        FileKind::Docx,
        FileKind::Xlsx,
    ];

    pub fn from_extension(ext: &str) -> Option<Self> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => FileKind::Jpg,
            "png" => FileKind::Png,
            "webp" => FileKind::Webp,
            "gif" => FileKind::Gif,
            "pdf" => FileKind::Pdf,
            "txt" => FileKind::Txt,
            "csv" => FileKind::Csv,
            "docx" => FileKind::Docx,
            "xlsx" => FileKind::Xlsx,
            _ => return None,
        })
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpg => "jpg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
            FileKind::Gif => "gif",
            FileKind::Pdf => "pdf",
            FileKind::Txt => "txt",
            FileKind::Csv => "csv",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Jpg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Gif => "image/gif",
            FileKind::Pdf => "application/pdf",
            FileKind::Txt => "text/plain",
            FileKind::Csv => "text/csv",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The browser can show it safely in place (images and PDFs).
    pub fn previewable(self) -> bool {
        matches!(
            self,
            FileKind::Jpg | FileKind::Png | FileKind::Webp | FileKind::Gif | FileKind::Pdf
        )
    }

    pub fn is_image(self) -> bool {
        matches!(
            self,
            FileKind::Jpg | FileKind::Png | FileKind::Webp | FileKind::Gif
        )
    }

    /// `jpg, png, pdf`: the accepted list as configuration writes it.
    pub fn parse_list(text: &str) -> Option<Vec<FileKind>> {
        let kinds: Option<Vec<_>> = text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(FileKind::from_extension)
            .collect();
        kinds.filter(|k| !k.is_empty())
    }
}

/// `1.4 MB`, `820 KB`, `12 bytes`.
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1000.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str) -> Result<FileName, FileNameError> {
        FileName::parse(name, &FileKind::ALL)
    }

    #[test]
    fn ordinary_names_are_kept_and_sanitized_for_storage() {
        let n = parse("Intake form (signed) – Müller.PDF").unwrap();
        assert_eq!(n.as_str(), "Intake form (signed) – Müller.PDF");
        assert_eq!(n.kind(), FileKind::Pdf);
        assert_eq!(n.sanitized(), "Intake_form_signed_M_ller.pdf");
        assert_eq!(parse("x.jpeg").unwrap().sanitized(), "x.jpg");
        assert_eq!(parse("ü.png").unwrap().sanitized(), "file.png");
        let long = format!("{}.txt", "a".repeat(190));
        assert_eq!(parse(&long).unwrap().sanitized().len(), 80);
    }

    #[test]
    fn path_tricks_are_refused() {
        for name in [
            "../etc/passwd.txt",
            "..\\boot.txt",
            "/etc/passwd.txt",
            "C:\\Windows\\x.txt",
            "a/b.pdf",
            "..%2f..%2fsecret.txt",
            "%2e%2e%5csecret.txt",
            "%252e%252e%252fsecret.txt",
        ] {
            assert_eq!(parse(name), Err(FileNameError::PathSeparator), "{name}");
        }
        assert_eq!(parse("a\0.txt"), Err(FileNameError::ControlCharacter));
        assert_eq!(parse("a%00.txt"), Err(FileNameError::ControlCharacter));
        assert_eq!(parse("a\n.txt"), Err(FileNameError::ControlCharacter));
        assert_eq!(parse(".htaccess.txt"), Err(FileNameError::LeadingDot));
        // Shown as "invoiceexe.pdf", it is an .exe: the controls go, the type is refused.
        assert!(matches!(
            parse("invoice\u{202E}fdp.exe"),
            Err(FileNameError::NotAccepted(ext, _)) if ext == "exe"
        ));
        assert_eq!(
            parse("re\u{2067}port\u{2069}.pdf").unwrap().as_str(),
            "report.pdf"
        );
        assert_eq!(parse("%2ehidden.txt"), Err(FileNameError::LeadingDot));
        assert_eq!(parse("  "), Err(FileNameError::Empty));
        assert_eq!(
            parse(&format!("{}.pdf", "a".repeat(200))),
            Err(FileNameError::TooLong)
        );
    }

    #[test]
    fn unknown_and_unaccepted_types_name_the_accepted_ones() {
        let err = parse("setup.exe").unwrap_err();
        assert!(err.to_string().contains("'exe'"), "{err}");
        assert!(err.to_string().contains("jpg, png"), "{err}");
        let only_pdf = FileName::parse("a.png", &[FileKind::Pdf]).unwrap_err();
        assert_eq!(
            only_pdf,
            FileNameError::NotAccepted("png".into(), "pdf".into())
        );
        assert!(matches!(
            parse("README"),
            Err(FileNameError::NotAccepted(..))
        ));
    }

    #[test]
    fn accepted_lists_parse_from_configuration() {
        assert_eq!(
            FileKind::parse_list("pdf, JPEG ,png"),
            Some(vec![FileKind::Pdf, FileKind::Jpg, FileKind::Png])
        );
        assert_eq!(FileKind::parse_list("pdf,exe"), None);
        assert_eq!(FileKind::parse_list(""), None);
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(820_000), "820 KB");
        assert_eq!(human_size(25_000_000), "25.0 MB");
    }
}
