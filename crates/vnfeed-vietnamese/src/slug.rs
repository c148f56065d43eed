//! Owns URL slugs: Vietnamese titles folded to lowercase ASCII words joined by
//! '-', short enough for a URL path segment.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest slug, in bytes (all slug bytes are ASCII).
const MAX_LEN: usize = 80;

/// Folds one decomposed character to ASCII, or `None` if it is a mark to drop.
fn fold(c: char) -> Option<char> {
    match c {
        // Đ/đ have no decomposition, so NFD cannot strip their bar. U+00D0/
        // U+00F0 (Icelandic eth) look the same and turn up in text converted
        // from old VNI/TCVN fonts in place of the Vietnamese letter.
        'đ' | 'Đ' | '\u{D0}' | '\u{F0}' => Some('d'),
        c if is_combining_mark(c) => None,
        c => Some(c.to_ascii_lowercase()),
    }
}

/// Turns a title into a URL slug: Vietnamese folded to ASCII ("Đảng ủy" ->
/// "dang-uy"), lowercase, each run of other characters made one '-', no '-'
/// at either end, at most 80 bytes cut at a word boundary. Input with no
/// letters or digits gives "".
pub fn slugify(s: &str) -> String {
    let mut slug = String::new();
    let mut pending_dash = false;
    for c in s.nfd().filter_map(fold) {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c);
        } else {
            pending_dash = true;
        }
    }
    truncate(slug)
}

fn truncate(slug: String) -> String {
    if slug.len() <= MAX_LEN {
        return slug;
    }
    // A '-' at index MAX_LEN still leaves a MAX_LEN-byte prefix, so look at
    // one byte past the limit.
    let window = slug.get(..=MAX_LEN).unwrap_or(&slug);
    match window.rfind('-') {
        Some(cut) => window[..cut].to_string(),
        // One word longer than the limit: no boundary to cut at, so cut the
        // word itself rather than return nothing.
        None => slug.get(..MAX_LEN).unwrap_or(&slug).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_titles() {
        assert_eq!(
            slugify("Tăng cường bảo vệ an ninh"),
            "tang-cuong-bao-ve-an-ninh"
        );
        assert_eq!(slugify("Đảng ủy"), "dang-uy");
        assert_eq!(slugify("Hà Nguyên: Tăng cường"), "ha-nguyen-tang-cuong");
        assert_eq!(
            slugify("ĐẠI HỘI ĐẢNG lần thứ XIV"),
            "dai-hoi-dang-lan-thu-xiv"
        );
        assert_eq!(slugify("Người dân ở Thủ Đức"), "nguoi-dan-o-thu-duc");
    }

    #[test]
    fn nfd_input_gives_the_same_slug() {
        assert_eq!(slugify("Ho\u{300}a bi\u{300}nh"), "hoa-binh");
    }

    #[test]
    fn punctuation_runs_and_ends() {
        assert_eq!(
            slugify("  --« Covid-19 »: 2.500 ca!!  "),
            "covid-19-2-500-ca"
        );
        assert_eq!(slugify("a_b"), "a-b");
    }

    #[test]
    fn empty_and_punctuation_only_give_empty() {
        assert_eq!(slugify(""), "");
        assert_eq!(slugify(" -- !? … "), "");
        assert_eq!(slugify("中文"), "");
    }

    #[test]
    fn eth_lookalike_folds_to_d() {
        assert_eq!(slugify("\u{D0}\u{1EA3}ng"), "dang");
    }

    #[test]
    fn long_slug_is_cut_at_a_dash_without_trailing_dash() {
        // 16 words of 4 letters: "aaaa-bbbb-...": 16*5-1 = 79 bytes fits.
        let words: Vec<String> = (0..16)
            .map(|i| char::from(b'a' + i as u8).to_string().repeat(4))
            .collect();
        let fits = words.join(" ");
        assert_eq!(slugify(&fits).len(), 79);
        // One more word goes over; the cut falls back to the 16 words.
        let over = format!("{fits} qqqq");
        assert_eq!(slugify(&over), words.join("-"));
        // A dash exactly at byte 80 keeps an 80-byte slug.
        let exact = format!("{fits}x yy");
        let s = slugify(&exact);
        assert_eq!(s.len(), 80);
        assert!(s.ends_with("ppppx"));
    }

    #[test]
    fn long_vietnamese_title_is_cut_at_a_word() {
        let title = "Thủ tướng chỉ đạo tăng cường bảo vệ an ninh trật tự tại các tỉnh \
                     biên giới phía Bắc trong dịp nghỉ lễ";
        let s = slugify(title);
        assert_eq!(
            s,
            "thu-tuong-chi-dao-tang-cuong-bao-ve-an-ninh-trat-tu-tai-cac-tinh-bien-gioi-phia"
        );
        assert!(s.len() <= 80);
    }

    #[test]
    fn single_overlong_word_is_hard_cut() {
        let s = slugify(&"x".repeat(100));
        assert_eq!(s, "x".repeat(80));
    }
}
