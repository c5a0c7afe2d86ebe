//! What a file really is, from its first bytes, compared with what its name
//! claims: an `.exe` renamed `.pdf` is refused.

use crate::domain::files::FileKind;

/// How many leading bytes are examined (Office documents name their parts
/// in the first zip entries; 8 KB covers those and text checks).
pub const SNIFF_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the file's content is {found}, not {claimed} as its name says")]
pub struct Mismatch {
    pub claimed: &'static str,
    pub found: String,
}

/// Checks that `head` (the first bytes, or the whole file when shorter)
/// is a `kind` file. `complete` says `head` is the whole file.
pub fn check(kind: FileKind, head: &[u8], complete: bool) -> Result<(), Mismatch> {
    let detected = infer::get(head);
    let ok = match kind {
        FileKind::Jpg => infer::image::is_jpeg(head),
        FileKind::Png => infer::image::is_png(head),
        FileKind::Webp => infer::image::is_webp(head),
        FileKind::Gif => infer::image::is_gif(head),
        FileKind::Pdf => infer::archive::is_pdf(head),
        FileKind::Docx => infer::doc::is_docx(head),
        FileKind::Xlsx => infer::doc::is_xlsx(head),
        // Text has no signature: it must be UTF-8 without binary control bytes.
        FileKind::Txt | FileKind::Csv => detected.is_none() && is_text(head, complete),
    };
    if ok {
        return Ok(());
    }
    let found = match detected {
        Some(t) => format!("{} ({})", describe(t.mime_type()), t.mime_type()),
        None if !is_text(head, complete) => "binary data of an unknown type".into(),
        None => "plain text".into(),
    };
    Err(Mismatch {
        claimed: claimed(kind),
        found,
    })
}

fn claimed(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Jpg => "a JPEG image",
        FileKind::Png => "a PNG image",
        FileKind::Webp => "a WebP image",
        FileKind::Gif => "a GIF image",
        FileKind::Pdf => "a PDF",
        FileKind::Txt => "plain text",
        FileKind::Csv => "CSV text",
        FileKind::Docx => "a Word document",
        FileKind::Xlsx => "an Excel workbook",
    }
}

fn describe(mime: &str) -> &'static str {
    match mime {
        "application/vnd.microsoft.portable-executable" | "application/x-msdownload" => {
            "a Windows program"
        }
        "application/x-executable" | "application/x-elf" => "a Linux program",
        "application/x-mach-binary" => "a macOS program",
        "application/zip" => "a zip archive",
        "text/html" => "an HTML page",
        m if m.starts_with("image/") => "an image of another type",
        m if m.starts_with("video/") => "a video",
        m if m.starts_with("audio/") => "audio",
        _ => "another type of file",
    }
}

/// UTF-8 (a character cut off at the end of an incomplete head is fine)
/// with no control bytes other than tab, line breaks and form feed.
fn is_text(head: &[u8], complete: bool) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        // Only an incomplete sequence at the very end, and only mid-file.
        Err(e) => !complete && e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    valid
        && !head
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c) || b == 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const EXE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0@\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x80\0\0\0PE\0\0";

    #[test]
    fn matching_content_passes() {
        assert_eq!(check(FileKind::Png, PNG, true), Ok(()));
        assert_eq!(
            check(FileKind::Pdf, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", false),
            Ok(())
        );
        assert_eq!(
            check(FileKind::Txt, "Grüße\r\n\tok".as_bytes(), true),
            Ok(())
        );
        assert_eq!(check(FileKind::Csv, b"name,phone\nAnn,123\n", true), Ok(()));
        // A head cut in the middle of a character is still text.
        let cut = &"ü".as_bytes()[..1];
        assert_eq!(
            check(FileKind::Txt, &[b"ab".as_slice(), cut].concat(), false),
            Ok(())
        );
    }

    #[test]
    fn disguised_content_is_named() {
        let err = check(FileKind::Pdf, EXE, false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the file's content is a Windows program"),
            "{err}"
        );
        assert!(
            err.to_string().ends_with("not a PDF as its name says"),
            "{err}"
        );
        let err = check(FileKind::Jpg, PNG, true).unwrap_err();
        assert!(err.found.contains("image/png"), "{err}");
        let err = check(FileKind::Txt, b"abc\0def", true).unwrap_err();
        assert_eq!(err.found, "binary data of an unknown type");
        let err = check(FileKind::Txt, PNG, true).unwrap_err();
        assert!(err.found.contains("image/png"), "{err}");
        let err = check(FileKind::Docx, b"PK\x03\x04 not really", true).unwrap_err();
        assert!(err.to_string().contains("not a Word document"), "{err}");
    }
}
