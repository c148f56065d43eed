//! Owns keyword matching over Vietnamese text: whole words, case-insensitive,
//! diacritics kept (so "Đảng", the Party, never matches "đang", currently),
//! but blind to old versus new tone placement ("hòa" = "hoà", "thủy" = "thuỷ").

use std::cell::RefCell;
use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, is_nfc_quick};

/// The five Vietnamese tone marks (grave, acute, tilde, hook above, dot
/// below). Circumflex, breve and horn are not tones: they change the vowel.
fn is_tone_mark(c: char) -> bool {
    matches!(c, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}')
}

/// Makes the match key of one word: lowercase NFC with the tone marks moved
/// to the end. Old ("hòa", "thủy") and new ("hoà", "thuỷ") orthography put
/// the tone on different vowels of the same syllable, so the key records
/// which tone the syllable has but not where it sat.
fn key(word: &str) -> String {
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    // Four normalizations per word dominate an import's CPU time, and a language has few
    // distinct words (a Vietnamese syllable inventory is a few thousand): remember them.
    // Bounded, so a flood of distinct words costs time, never unbounded memory.
    const REMEMBERED: usize = 1 << 16;
    thread_local! {
        static KEYS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
    }
    KEYS.with_borrow_mut(|keys| {
        if let Some(found) = keys.get(word) {
            return found.clone();
        }
        if keys.len() >= REMEMBERED {
            keys.clear();
        }
        let made = compute_key(word);
        keys.insert(word.to_string(), made.clone());
        made
    })
}

fn compute_key(word: &str) -> String {
    let lower: String = word.nfc().collect::<String>().to_lowercase();
    let mut tones = String::new();
    // NFD also puts stacked marks in canonical order, so a syllable with a
    // vowel mark and a tone gives the same key however it was typed.
    let base: String = lower
        .nfd()
        .filter(|&c| {
            if is_tone_mark(c) {
                tones.push(c);
                false
            } else {
                true
            }
        })
        .nfc()
        .collect();
    base + &tones
}

/// Letters and digits. Vietnamese letters all sit in Latin-1 and the Latin Extended blocks,
/// where every character but `×` and `÷` is a letter; answering for those ranges directly
/// spares the general Unicode table walk, a tenth of an import's parsing time.
fn is_word_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => true,
        '\u{0}'..='\u{7F}' | '\u{D7}' | '\u{F7}' => false,
        '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}' => true,
        _ => c.is_alphanumeric(),
    }
}

/// Splits `text` into words (maximal runs of letters and digits, combining
/// marks staying with their word) and returns each word's match key.
pub fn tokens(text: &str) -> Vec<String> {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        words(text.chars())
    } else {
        words(text.nfc())
    }
}

fn words(chars: impl Iterator<Item = char>) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in chars {
        if is_word_char(c) || (is_combining_mark(c) && !word.is_empty()) {
            word.push(c);
        } else if !word.is_empty() {
            out.push(key(&word));
            word.clear();
        }
    }
    if !word.is_empty() {
        out.push(key(&word));
    }
    out
}

/// A list of keyword phrases, each matched as a contiguous run of whole words.
#[derive(Debug, Clone)]
pub struct KeywordSet {
    phrases: Vec<(String, Vec<String>)>,
}

impl KeywordSet {
    /// Builds the set; phrases without any word (empty, only punctuation) are
    /// ignored because they would match everything.
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> KeywordSet {
        let phrases = phrases
            .iter()
            .filter_map(|p| {
                let p = p.as_ref();
                let t = tokens(p);
                (!t.is_empty()).then(|| (p.to_string(), t))
            })
            .collect();
        KeywordSet { phrases }
    }

    /// Returns the phrase, as originally given, of the first phrase in list
    /// order that occurs in `text_tokens` (the output of [`tokens`]).
    pub fn first_match(&self, text_tokens: &[String]) -> Option<&str> {
        self.phrases
            .iter()
            .find(|(_, want)| {
                text_tokens
                    .windows(want.len())
                    .any(|w| w == want.as_slice())
            })
            .map(|(phrase, _)| phrase.as_str())
    }

    /// Whether any phrase occurs in `text_tokens`.
    pub fn matches(&self, text_tokens: &[String]) -> bool {
        self.first_match(text_tokens).is_some()
    }

    /// Whether the set has no usable phrase.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first<'a>(set: &'a KeywordSet, text: &str) -> Option<&'a str> {
        set.first_match(&tokens(text))
    }

    #[test]
    fn the_fast_letter_ranges_agree_with_unicode() {
        let ranges = ['\u{0}'..='\u{24F}', '\u{1E00}'..='\u{1EFF}'];
        for c in ranges.into_iter().flatten() {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn tokens_are_lowercase_nfc_with_tones_moved_to_the_end() {
        assert_eq!(
            tokens("Đảng ủy, HÒA-bình 2024!"),
            vec![
                "\u{111}ang\u{309}",
                "uy\u{309}",
                "hoa\u{300}",
                "binh\u{300}",
                "2024",
            ]
        );
    }

    #[test]
    fn vowel_marks_stay_and_tones_move() {
        // "người": u+horn, o+horn and the grave tone.
        assert_eq!(tokens("Người"), vec!["ng\u{1B0}\u{1A1}i\u{300}"]);
        // "Việt" from NFD input: e + circumflex + dot below.
        assert_eq!(tokens("Vie\u{323}\u{302}t"), vec!["vi\u{EA}t\u{323}"]);
        assert_eq!(tokens("an ninh"), vec!["an", "ninh"]);
    }

    #[test]
    fn old_and_new_tone_placement_give_the_same_key() {
        assert_eq!(tokens("hòa"), tokens("hoà"));
        assert_eq!(tokens("thủy"), tokens("Thuỷ"));
        assert_eq!(tokens("Hóa"), tokens("hoá"));
        assert_eq!(tokens("Hóa"), vec!["hoa\u{301}"]);
        assert_ne!(tokens("Đảng"), tokens("đang"));
    }

    #[test]
    fn combining_marks_stay_with_their_word() {
        assert_eq!(tokens("ho\u{300}a\u{301}"), vec!["hoa\u{300}\u{301}"]);
        assert_eq!(tokens(" \u{301}an"), vec!["an"]);
        assert!(tokens(" ,.- ").is_empty());
    }

    #[test]
    fn dang_uy_matches_inside_text_and_uppercase() {
        let set = KeywordSet::new(&["Đảng ủy"]);
        assert_eq!(
            first(&set, "Hôm qua, Đảng ủy tỉnh đã họp."),
            Some("Đảng ủy")
        );
        assert_eq!(first(&set, "ĐẢNG ỦY"), Some("Đảng ủy"));
        assert_eq!(first(&set, "\u{110}A\u{309}NG U\u{309}Y"), Some("Đảng ủy"));
        assert_eq!(first(&set, "Đảng bộ tỉnh"), None);
    }

    #[test]
    fn party_never_matches_currently() {
        let set = KeywordSet::new(&["Đảng"]);
        assert!(!set.matches(&tokens("Chúng tôi đang làm việc")));
        assert!(!set.matches(&tokens("ĐANG")));
        assert!(set.matches(&tokens("Ban Chấp hành Trung ương Đảng")));
    }

    #[test]
    fn tone_placement_is_ignored() {
        assert!(KeywordSet::new(&["hòa bình"]).matches(&tokens("vì hoà bình thế giới")));
        assert!(KeywordSet::new(&["hoà bình"]).matches(&tokens("HÒA BÌNH")));
        assert!(KeywordSet::new(&["thủy"]).matches(&tokens("Thuỷ lợi")));
        assert!(KeywordSet::new(&["Tỉnh ủy"]).matches(&tokens("tỉnh uỷ Nghệ An")));
        assert!(KeywordSet::new(&["Hóa chất"]).matches(&tokens("hoá chất")));
        // Different tone is a different word.
        assert!(!KeywordSet::new(&["hòa"]).matches(&tokens("hỏa")));
        assert!(!KeywordSet::new(&["hòa"]).matches(&tokens("hoa")));
    }

    #[test]
    fn whole_words_only() {
        let set = KeywordSet::new(&["an ninh"]);
        assert!(!set.matches(&tokens("anninh")));
        assert!(!set.matches(&tokens("an")));
        assert!(!set.matches(&tokens("an toàn, ninh bình")));
        assert!(set.matches(&tokens("bảo vệ an-ninh")));
    }

    #[test]
    fn first_match_follows_phrase_order() {
        let set = KeywordSet::new(&["bão", "lũ lụt", "Bão"]);
        assert_eq!(first(&set, "Lũ lụt sau bão"), Some("bão"));
        let set = KeywordSet::new(&["lũ lụt", "bão"]);
        assert_eq!(first(&set, "bão rồi lũ lụt"), Some("lũ lụt"));
        assert_eq!(first(&set, "trời nắng"), None);
    }

    #[test]
    fn empty_phrases_are_ignored() {
        let set = KeywordSet::new(&["", "  ", "--"]);
        assert!(set.is_empty());
        assert!(!set.matches(&tokens("bất kỳ")));
        assert!(!set.matches(&[]));
        let set = KeywordSet::new(&["", "Đảng"]);
        assert!(!set.is_empty());
        assert_eq!(first(&set, "Đảng"), Some("Đảng"));
        let none: [&str; 0] = [];
        assert!(KeywordSet::new(&none).is_empty());
        assert!(!KeywordSet::new(&[String::from("x")]).is_empty());
    }
}
