//! Owns the last cleaning step for every string that goes into a feed: NFC
//! normalization and removal of characters XML 1.0 forbids or feed readers
//! choke on.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Characters that must never reach a feed: XML 1.0 forbids the C0 controls
/// (except tab, newline, carriage return) and the noncharacters U+FFFE/U+FFFF;
/// DEL and the C1 controls are legal XML but break real feed readers, and in
/// practice they only appear as mojibake from a wrong legacy decoding.
fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}')
        || matches!(c, '\u{7F}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Characters that are NFC whatever surrounds them (NFC quick check Yes, combining class 0):
/// ASCII, Latin-1, Latin Extended A and B, the precomposed Vietnamese letters and the
/// punctuation newsrooms type (dashes, quotes, ellipsis). Vietnamese text in NFC is made of
/// nothing else, and answering from ranges is several times cheaper than the Unicode
/// tables (a test holds these ranges to those tables).
fn is_always_nfc(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{2FF}' | '\u{1E00}'..='\u{1EFF}' | '\u{2010}'..='\u{2027}')
}

/// Whether `s` is certainly NFC (the Unicode quick check's Yes; its Maybe counts as no).
pub(crate) fn is_nfc(s: &str) -> bool {
    s.chars().all(is_always_nfc) || is_nfc_quick(s.chars()) == IsNormalized::Yes
}

/// Whether every character of `s` is always NFC ([`is_always_nfc`]) and not forbidden
/// ([`is_forbidden`]): what decoded Vietnamese text nearly always is, so it needs neither
/// normalizing nor filtering. Read from the UTF-8 bytes, several times faster than decoding
/// each character (a test holds it to the character predicates).
pub(crate) fn is_plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut at = 0;
    while let Some(&lead) = bytes.get(at) {
        // `s` is valid UTF-8, so a lead byte is followed by all its continuation bytes.
        let (fine, len) = match lead {
            // ASCII: the controls but tab, LF and CR are forbidden, and DEL.
            0x00..=0x7F => (
                (lead >= 0x20 && lead != 0x7F) || matches!(lead, b'\t' | b'\n' | b'\r'),
                1,
            ),
            // U+0080..U+02FF, but the C1 controls U+0080..U+009F (C2 80..C2 9F).
            0xC2 => (bytes[at + 1] >= 0xA0, 2),
            0xC3..=0xCB => (true, 2),
            // U+1E00..U+1EFF (Latin Extended Additional): E1 B8 80..E1 BB BF.
            0xE1 => ((0xB8..=0xBB).contains(&bytes[at + 1]), 3),
            // U+2010..U+2027 (dashes, quotes, ellipsis): E2 80 90..E2 80 A7.
            0xE2 => (
                bytes[at + 1] == 0x80 && (0x90..=0xA7).contains(&bytes[at + 2]),
                3,
            ),
            _ => (false, 1),
        };
        if !fine {
            return false;
        }
        at += len;
    }
    true
}

/// NFC-normalizes `s` and removes characters that XML 1.0 forbids
/// (U+0000..U+001F except tab, LF, CR; U+FFFE; U+FFFF) and the C1 controls
/// U+007F..U+009F. Use it on every string that goes into a feed.
pub fn clean(s: &str) -> String {
    cleaned(s).into_owned()
}

/// [`clean`], borrowing `s` when it is clean already (nearly all text is).
pub fn cleaned(s: &str) -> Cow<'_, str> {
    // Nearly all text arrives clean and composed: one pass over its bytes says so, and
    // the quick check is exact when it says yes. The Unicode tables only for the rest.
    if is_plain(s) || (!s.chars().any(is_forbidden) && is_nfc_quick(s.chars()) == IsNormalized::Yes)
    {
        return Cow::Borrowed(s);
    }
    // Filtering before normalizing gives the same result as the other order
    // (no forbidden char is produced or absorbed by NFC), except that a
    // control sitting between a letter and its combining mark would, removed
    // afterwards, leave a non-NFC pair behind. This order keeps the output NFC.
    Cow::Owned(s.chars().filter(|&c| !is_forbidden(c)).nfc().collect())
}

/// Like [`clean`], and also folds every run of whitespace (tab, newline and
/// Unicode spaces included) into one space and trims the ends: for one-line
/// fields such as titles and author names.
pub fn clean_line(s: &str) -> String {
    cleaned_line(s).into_owned()
}

/// [`clean_line`], borrowing `s` when it is clean and folded already (most lines are).
pub fn cleaned_line(s: &str) -> Cow<'_, str> {
    let cleaned = cleaned(s);
    if is_folded(&cleaned) {
        return cleaned;
    }
    Cow::Owned(cleaned.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Whether folding whitespace would leave `s` as it is: no whitespace but single spaces
/// between other characters. Most lines are already so. Read from the bytes: only four lead
/// bytes start a non-ASCII space, and only their characters are decoded.
fn is_folded(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut after_space = true;
    let mut at = 0;
    while let Some(&lead) = bytes.get(at) {
        let len = match lead {
            b' ' if after_space => return false,
            b' ' => {
                after_space = true;
                at += 1;
                continue;
            }
            b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' => return false,
            0x00..=0x7F => 1,
            // U+0085 and U+00A0; U+1680; U+2000..U+205F; U+3000.
            0xC2 | 0xE1 | 0xE2 | 0xE3 => {
                let c = s[at..].chars().next().expect("a character starts here");
                if c.is_whitespace() {
                    return false;
                }
                c.len_utf8()
            }
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        after_space = false;
        at += len;
    }
    !after_space || s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_composes_to_nfc() {
        // "Hòa" with the grave as a combining mark.
        assert_eq!(clean("Ho\u{300}a"), "H\u{F2}a");
        assert_eq!(clean("Vi\u{EA}\u{323}t"), "Vi\u{1EC7}t");
    }

    #[test]
    fn clean_removes_forbidden_controls_but_keeps_tab_newline_cr() {
        assert_eq!(clean("a\u{0}b\u{1}c\u{1F}d"), "abcd");
        assert_eq!(clean("a\tb\nc\rd"), "a\tb\nc\rd");
        assert_eq!(clean("x\u{FFFE}y\u{FFFF}z"), "xyz");
    }

    #[test]
    fn clean_removes_del_and_c1_controls() {
        assert_eq!(
            clean("a\u{7F}b\u{80}c\u{85}d\u{9F}e\u{A0}f"),
            "abcde\u{A0}f"
        );
    }

    #[test]
    fn clean_output_is_nfc_even_when_a_control_split_a_mark_from_its_letter() {
        assert_eq!(clean("e\u{1}\u{301}"), "\u{E9}");
    }

    #[test]
    fn clean_keeps_ordinary_vietnamese_text() {
        let s = "Đảng ủy tỉnh Hà Nguyên: siết chặt tuần tra, giữ vững an ninh";
        assert_eq!(clean(s), s);
    }

    #[test]
    fn clean_line_collapses_whitespace_and_trims() {
        assert_eq!(
            clean_line("  Tăng\tcường \n\r bảo\u{A0}\u{A0}vệ  "),
            "Tăng cường bảo vệ"
        );
        assert_eq!(clean_line("a\u{0}\n\u{85}b"), "a b");
    }

    #[test]
    fn clean_line_of_blank_input_is_empty() {
        assert_eq!(clean_line(""), "");
        assert_eq!(clean_line(" \t\r\n "), "");
    }

    #[test]
    fn the_always_nfc_ranges_agree_with_unicode() {
        use unicode_normalization::char::canonical_combining_class;
        for c in (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| is_always_nfc(c))
        {
            assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?}");
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
        }
    }

    #[test]
    fn plain_text_is_read_from_bytes_as_the_character_predicates_say() {
        use unicode_normalization::char::is_combining_mark;
        let plain = |c: char| is_always_nfc(c) && !is_forbidden(c);
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let one = c.encode_utf8(&mut buf);
            assert_eq!(is_plain(one), plain(c), "{c:?}");
            // Word splitting takes a plain text's words as slices: no mark to keep with them.
            assert!(!(plain(c) && is_combining_mark(c)), "{c:?}");
            let around = format!("a{c}\u{1EA3}{c}z");
            assert_eq!(is_plain(&around), plain(c), "{around:?}");
        }
        assert!(is_plain(""));
        assert!(is_plain("Đảng ủy tỉnh – “an ninh” …\r\n\t2024"));
        assert!(!is_plain("Ho\u{300}a"));
        assert!(!is_plain("a\u{1}b"));
    }

    /// `is_folded` as it read characters before it read bytes.
    fn is_folded_by_chars(s: &str) -> bool {
        let mut after_space = true;
        for c in s.chars() {
            if c == ' ' {
                if after_space {
                    return false;
                }
                after_space = true;
            } else if c.is_whitespace() {
                return false;
            } else {
                after_space = false;
            }
        }
        !after_space || s.is_empty()
    }

    #[test]
    fn folding_is_read_from_bytes_as_from_characters() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            for s in [
                format!("a{c}b"),
                format!("{c}"),
                format!("a {c}"),
                format!("{c} b"),
            ] {
                assert_eq!(is_folded(&s), is_folded_by_chars(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn clean_text_is_borrowed_and_the_rest_copied() {
        assert!(matches!(cleaned("Đảng ủy"), Cow::Borrowed(_)));
        assert!(matches!(cleaned_line("Đảng ủy"), Cow::Borrowed(_)));
        assert!(matches!(cleaned("Ho\u{300}a"), Cow::Owned(_)));
        assert!(matches!(cleaned_line("Đảng  ủy"), Cow::Owned(_)));
        // Not plain, but NFC and allowed: still borrowed.
        assert!(matches!(cleaned("Ω ∑ 漢字"), Cow::Borrowed(_)));
    }

    #[test]
    fn folding_is_skipped_only_when_it_would_change_nothing() {
        for s in [
            "",
            " ",
            "a",
            "a b",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a\u{A0}b",
            "Đảng ủy",
            "x\ny",
            "a \u{2003}b",
        ] {
            let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(is_folded(s), folded == s, "{s:?}");
            assert_eq!(clean_line(s), folded, "{s:?}");
        }
    }
}
