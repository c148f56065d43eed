//! Owns turning the raw bytes of an imported article into text: UTF-8 (with or
//! without BOM) or, failing that, Windows-1258, the legacy code page older
//! Vietnamese newsroom systems still export.

use super::text;

/// The encoding [`decode`] found the input to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceEncoding {
    Utf8,
    Utf8WithBom,
    Windows1258,
}

impl SourceEncoding {
    /// Human-readable name, for logs and import reports.
    pub fn label(self) -> &'static str {
        match self {
            SourceEncoding::Utf8 => "UTF-8",
            SourceEncoding::Utf8WithBom => "UTF-8 with BOM",
            SourceEncoding::Windows1258 => "Windows-1258",
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes `bytes` and returns the text, NFC-normalized and cleaned with
/// [`text::clean`], together with the encoding it was read as.
///
/// Input that is valid UTF-8 (after an optional BOM) is UTF-8; anything else
/// is read as Windows-1258. A BOM followed by invalid UTF-8 is dropped and the
/// rest is read as Windows-1258: the BOM was evidently a lie.
pub fn decode(bytes: &[u8]) -> (String, SourceEncoding) {
    let (body, had_bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    if let Ok(s) = std::str::from_utf8(body) {
        let enc = if had_bom {
            SourceEncoding::Utf8WithBom
        } else {
            SourceEncoding::Utf8
        };
        // UTF-8 exports are sometimes NFD (macOS tools), so clean here too.
        return (text::clean(s), enc);
    }
    // Windows-1258 maps every byte, so the error flag can never be set. It
    // writes most tones as separate combining marks; clean() composes them
    // into the NFC form everything else in the crate expects, and drops the
    // C1 controls that unassigned-looking bytes map to.
    let (s, _) = encoding_rs::WINDOWS_1258.decode_without_bom_handling(body);
    (text::clean(&s), SourceEncoding::Windows1258)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    /// "Đảng ủy Hà Nội đã họp, tăng cường bảo vệ an ninh sáng nay." written by
    /// hand from the Windows-1258 code page: base letters with the vowel
    /// marks are single bytes, tones are combining bytes (0xCC grave, 0xEC
    /// acute, 0xD2 hook above, 0xDE tilde, 0xF2 dot below), and "á" (0xE1) is
    /// one of the few precomposed toned letters the code page has.
    const CP1258_SENTENCE: &[u8] = &[
        0xD0, b'a', 0xD2, b'n', b'g', b' ', // Đảng
        b'u', 0xD2, b'y', b' ', // ủy
        b'H', b'a', 0xCC, b' ', // Hà
        b'N', 0xF4, 0xF2, b'i', b' ', // Nội
        0xF0, b'a', 0xDE, b' ', // đã
        b'h', b'o', 0xF2, b'p', b',', b' ', // họp,
        b't', 0xE3, b'n', b'g', b' ', // tăng
        b'c', 0xFD, 0xF5, 0xCC, b'n', b'g', b' ', // cường
        b'b', b'a', 0xD2, b'o', b' ', // bảo
        b'v', 0xEA, 0xF2, b' ', // vệ
        b'a', b'n', b' ', b'n', b'i', b'n', b'h', b' ', // an ninh
        b's', 0xE1, b'n', b'g', b' ', // sáng
        b'n', b'a', b'y', b'.', // nay.
    ];

    #[test]
    fn windows_1258_sentence_decodes_to_exact_nfc() {
        let (s, enc) = decode(CP1258_SENTENCE);
        assert_eq!(enc, SourceEncoding::Windows1258);
        assert_eq!(
            s,
            "\u{110}\u{1EA3}ng \u{1EE7}y H\u{E0} N\u{1ED9}i \u{111}\u{E3} h\u{1ECD}p, \
             t\u{103}ng c\u{1B0}\u{1EDD}ng b\u{1EA3}o v\u{1EC7} an ninh s\u{E1}ng nay."
        );
        assert_eq!(
            s,
            "Đảng ủy Hà Nội đã họp, tăng cường bảo vệ an ninh sáng nay."
        );
        assert_eq!(s.nfc().collect::<String>(), s);
    }

    #[test]
    fn windows_1258_drops_c1_controls_and_maps_euro() {
        // 0x80 is the euro sign; 0x81 maps to the C1 control U+0081.
        let (s, enc) = decode(&[b'5', 0x80, 0x81, b' ', 0xFE]);
        assert_eq!(enc, SourceEncoding::Windows1258);
        assert_eq!(s, "5\u{20AC} \u{20AB}");
    }

    #[test]
    fn utf8_passes_through() {
        let (s, enc) = decode("Tăng cường".as_bytes());
        assert_eq!(enc, SourceEncoding::Utf8);
        assert_eq!(s, "Tăng cường");
    }

    #[test]
    fn utf8_bom_is_stripped_and_reported() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice("Đảng ủy".as_bytes());
        let (s, enc) = decode(&bytes);
        assert_eq!(enc, SourceEncoding::Utf8WithBom);
        assert_eq!(s, "Đảng ủy");
    }

    #[test]
    fn utf8_nfd_input_comes_out_nfc() {
        let (s, enc) = decode("Ho\u{300}a bi\u{300}nh\u{1}".as_bytes());
        assert_eq!(enc, SourceEncoding::Utf8);
        assert_eq!(s, "H\u{F2}a b\u{EC}nh");
    }

    #[test]
    fn bom_followed_by_invalid_utf8_is_read_as_windows_1258() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(&[0xD0, b'a', 0xD2, b'n', b'g']);
        assert_eq!(
            decode(&bytes),
            ("Đảng".to_string(), SourceEncoding::Windows1258)
        );
    }

    #[test]
    fn empty_input_is_empty_utf8() {
        assert_eq!(decode(b""), (String::new(), SourceEncoding::Utf8));
        assert_eq!(
            decode(UTF8_BOM),
            (String::new(), SourceEncoding::Utf8WithBom)
        );
    }

    #[test]
    fn labels() {
        assert_eq!(SourceEncoding::Utf8.label(), "UTF-8");
        assert_eq!(SourceEncoding::Utf8WithBom.label(), "UTF-8 with BOM");
        assert_eq!(SourceEncoding::Windows1258.label(), "Windows-1258");
    }
}
