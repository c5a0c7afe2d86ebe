//! Rules every piece of typed text obeys, whatever field it is for.
//!
//! Control characters have no place in names, notes or searches: NUL cannot
//! even be stored in PostgreSQL text, and the others hide content in logs,
//! emails and exports. Tab and line breaks are the exception, for fields
//! that hold several lines (notes, reasons); single-line fields refuse them
//! in their own parsers ([`crate::domain::account::DisplayName`]...).

/// The first character `text` may not contain, if any: C0 controls other
/// than tab, line feed and carriage return, DEL, and the C1 controls.
pub fn forbidden_control(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// "contains a control character (U+0000), which text may not"
pub fn control_message(found: char) -> String {
    format!(
        "contains a control character (U+{:04X}), which text may not contain",
        found as u32
    )
}

/// Whether `c` changes the direction text is shown in (U+202A-U+202E,
/// U+2066-U+2069, the marks U+200E, U+200F and U+061C). In a file name they
/// make `invoice<U+202E>fdp.exe` read as `invoiceexe.pdf`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `text` without direction controls.
pub fn without_bidi_controls(text: &str) -> String {
    text.chars().filter(|&c| !is_bidi_control(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tab_and_line_breaks_among_controls_pass() {
        assert_eq!(forbidden_control("Ann\tLee\r\nnotes"), None);
        assert_eq!(forbidden_control("Müller – 北京"), None);
        for bad in [
            '\0', '\u{1}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}',
        ] {
            assert_eq!(forbidden_control(&format!("a{bad}b")), Some(bad), "{bad:?}");
        }
        assert!(control_message('\0').contains("U+0000"));
    }

    #[test]
    fn direction_controls_are_removed() {
        assert_eq!(
            without_bidi_controls("invoice\u{202E}fdp.exe"),
            "invoicefdp.exe"
        );
        assert_eq!(without_bidi_controls("a\u{2066}b\u{2069}\u{200F}c"), "abc");
        assert_eq!(without_bidi_controls("plain.pdf"), "plain.pdf");
    }
}
