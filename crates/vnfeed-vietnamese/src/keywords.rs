//! Owns keyword matching over Vietnamese text: whole words, case-insensitive,
//! diacritics kept (so "Đảng", the Party, never matches "đang", currently),
//! but blind to old versus new tone placement ("hòa" = "hoà", "thủy" = "thuỷ").

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, RwLock};

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::text::{is_nfc, is_plain};

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
    let mut out = Vec::new();
    each_word(text, |word| out.push(key(word)));
    out
}

/// Calls `f` with each word of `text`, in NFC.
fn each_word(text: &str, mut f: impl FnMut(&str)) {
    if is_plain(text) {
        // Composed letters, ASCII and punctuation only (as decoded Vietnamese text is): NFC
        // as it stands and without a combining mark to keep with its word, so each word is
        // a slice of the text, found without copying a character.
        let mut start = None;
        for (at, c) in text.char_indices() {
            match (is_word_char(c), start) {
                (true, None) => start = Some(at),
                (false, Some(from)) => {
                    f(&text[from..at]);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(from) = start {
            f(&text[from..]);
        }
        return;
    }
    let mut word = String::new();
    let mut push = |c: char| {
        if is_word_char(c) || (is_combining_mark(c) && !word.is_empty()) {
            word.push(c);
        } else if !word.is_empty() {
            f(&word);
            word.clear();
        }
    };
    if is_nfc(text) {
        text.chars().for_each(&mut push);
    } else {
        text.nfc().for_each(&mut push);
    }
    push(' ');
}

/// The keys of every phrase's words, numbered from 1. A text is matched as numbers: each of
/// its words is the number of its key here, or 0 when no phrase has that word, so matching
/// compares integers and reading a text allocates nothing per word. Only phrase words are
/// kept (a few hundred), whatever the texts read.
static PHRASE_WORDS: LazyLock<RwLock<HashMap<String, u32>>> = LazyLock::new(Default::default);
/// Moves on whenever a word joins [`PHRASE_WORDS`]: each thread then forgets the numbers it
/// remembered, since a word it saw as 0 may now have one.
static PHRASE_WORDS_GENERATION: AtomicU64 = AtomicU64::new(0);

fn phrase_word(key: String) -> u32 {
    let mut known = PHRASE_WORDS.write().unwrap_or_else(|p| p.into_inner());
    let next = u32::try_from(known.len() + 1).expect("fewer than 4 billion phrase words");
    let id = *known.entry(key).or_insert(next);
    if id == next {
        PHRASE_WORDS_GENERATION.fetch_add(1, Ordering::Release);
    }
    id
}

/// The most words one thread remembers the number of (see [`Remembered`]).
pub const REMEMBERED_WORDS: usize = 1 << 16;

/// The numbers of the words one thread has read, by their spelling in the text. Making a
/// key takes four normalizations, and a language has few distinct words (a Vietnamese
/// syllable inventory is a few thousand), so each word's key is made once per thread.
/// Bounded by [`REMEMBERED_WORDS`]: a flood of distinct words costs time, never unbounded
/// memory. foldhash is seeded per process, so a text cannot be made of words that collide.
#[derive(Default)]
struct Remembered {
    /// The [`PHRASE_WORDS_GENERATION`] the numbers are of.
    generation: u64,
    numbers: foldhash::HashMap<String, u32>,
}

impl Remembered {
    /// Forgets every number when a word has joined [`PHRASE_WORDS`] since: a word
    /// remembered as 0 may now have one.
    fn catch_up(&mut self) {
        let now = PHRASE_WORDS_GENERATION.load(Ordering::Acquire);
        if self.generation != now {
            self.numbers.clear();
            self.generation = now;
        }
    }

    /// The number of a word of a text: its key's in [`PHRASE_WORDS`], or 0.
    fn number(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.numbers.get(word) {
            return id;
        }
        if self.numbers.len() >= REMEMBERED_WORDS {
            self.numbers.clear();
        }
        let key = key(word);
        let known = PHRASE_WORDS.read().unwrap_or_else(|p| p.into_inner());
        let id = known.get(&key).copied().unwrap_or(0);
        self.numbers.insert(word.to_string(), id);
        id
    }
}

thread_local! {
    static REMEMBERED: RefCell<Remembered> = RefCell::default();
}

/// A text's words as [`KeywordSet`] matches them (see [`PHRASE_WORDS`]).
#[derive(Debug, Clone, Default)]
pub struct Words(Vec<u32>);

/// The words of `text`, to match against any number of keyword sets.
pub fn words(text: &str) -> Words {
    let mut out = Vec::with_capacity(text.len() / 5);
    REMEMBERED.with_borrow_mut(|remembered| {
        remembered.catch_up();
        each_word(text, |word| out.push(remembered.number(word)));
    });
    Words(out)
}

/// A phrase's words as matching sees them (lowercase NFC keys, tones last, a gap as `…`),
/// so two spellings of one phrase ("Tỉnh ủy", "tỉnh uỷ") have one normal form. `None` for a
/// phrase without a word.
pub fn normal_form(phrase: &str) -> Option<String> {
    let runs: Vec<String> = phrase
        .replace("...", "\u{2026}")
        .split('\u{2026}')
        .map(|run| tokens(run).join(" "))
        .filter(|run| !run.is_empty())
        .collect();
    (!runs.is_empty()).then(|| runs.join(" \u{2026} "))
}

/// The most words a gap (`…` or `...` in a phrase) may stand for: enough for a unit's
/// name between "Đảng ủy" and "Đồn" ("Đảng ủy, Ban Chỉ huy Đồn"), few enough that the two
/// ends still belong to one phrase of one sentence.
pub const MAX_GAP_WORDS: usize = 5;

/// One phrase: runs of words, with a gap of up to [`MAX_GAP_WORDS`] between two runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Pattern(Vec<Vec<u32>>);

impl Pattern {
    /// `None` when the phrase has no word (empty, only punctuation): it would match anything.
    fn new(phrase: &str) -> Option<Pattern> {
        let runs: Vec<Vec<u32>> = phrase
            .replace("...", "\u{2026}")
            .split('\u{2026}')
            .map(|run| {
                tokens(run)
                    .into_iter()
                    .map(phrase_word)
                    .collect::<Vec<u32>>()
            })
            .filter(|run| !run.is_empty())
            .collect();
        (!runs.is_empty()).then_some(Pattern(runs))
    }

    fn first_word(&self) -> u32 {
        self.0[0][0]
    }

    /// Where the phrase ends when it starts at `start` of `text`, if it does.
    fn end_at(&self, text: &[u32], start: usize) -> Option<usize> {
        let (first, rest) = self.0.split_first().expect("a pattern has a run");
        let mut end = start + first.len();
        if text.get(start..end)? != first.as_slice() {
            return None;
        }
        for run in rest {
            // The nearest place the run follows within the gap.
            end = (end..=end + MAX_GAP_WORDS)
                .find(|&at| text.get(at..at + run.len()) == Some(run.as_slice()))?
                + run.len();
        }
        Some(end)
    }
}

/// One occurrence of a phrase in a text: the phrase's index in its set and the words
/// `start..end` it covers (gaps included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub phrase: usize,
    pub start: usize,
    pub end: usize,
}

impl Match {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether `self` lies within `other` and is shorter: the longer phrase is the one said.
    pub fn is_part_of(&self, other: &Match) -> bool {
        other.start <= self.start && self.end <= other.end && self.len() < other.len()
    }
}

/// For each match of `found` (in [`KeywordSet::find_all`]'s order, by start), the index of a
/// longer match that contains it, if there is one. Linear in the number of matches, so a
/// text that repeats a phrase thousands of times costs thousands of steps, not millions.
pub fn containers(found: &[Match]) -> Vec<Option<usize>> {
    let mut out = vec![None; found.len()];
    // The match reaching furthest among those that start before the current start.
    let mut before: Option<usize> = None;
    let mut group = 0;
    while group < found.len() {
        let start = found[group].start;
        let end_of_group = found[group..]
            .iter()
            .position(|m| m.start != start)
            .map_or(found.len(), |n| group + n);
        let widest = (group..end_of_group)
            .max_by_key(|&i| (found[i].end, std::cmp::Reverse(i)))
            .expect("a group has a match");
        for i in group..end_of_group {
            let end = found[i].end;
            out[i] = match before {
                Some(b) if found[b].end >= end => Some(b),
                _ if found[widest].end > end => Some(widest),
                _ => None,
            };
        }
        if before.is_none_or(|b| found[widest].end > found[b].end) {
            before = Some(widest);
        }
        group = end_of_group;
    }
    out
}

/// A list of keyword phrases, each matched as a run of whole words; `…` (or `...`) in a
/// phrase stands for up to [`MAX_GAP_WORDS`] words.
#[derive(Debug, Clone)]
pub struct KeywordSet {
    phrases: Vec<(String, Pattern)>,
    /// The phrases by the number of their first word: a text's word picks its candidates
    /// with one index, so the cost grows with the text, barely with the number of phrases.
    by_first: Vec<Vec<usize>>,
}

impl KeywordSet {
    /// Builds the set; phrases without any word (empty, only punctuation) are
    /// ignored because they would match everything.
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> KeywordSet {
        let phrases: Vec<(String, Pattern)> = phrases
            .iter()
            .filter_map(|p| {
                let p = p.as_ref();
                Pattern::new(p).map(|pattern| (p.to_string(), pattern))
            })
            .collect();
        let mut by_first: Vec<Vec<usize>> = Vec::new();
        for (i, (_, pattern)) in phrases.iter().enumerate() {
            let first = pattern.first_word() as usize;
            if by_first.len() <= first {
                by_first.resize_with(first + 1, Vec::new);
            }
            by_first[first].push(i);
        }
        KeywordSet { phrases, by_first }
    }

    /// The phrases as given, in order (a [`Match`]'s `phrase` indexes it).
    pub fn phrases(&self) -> impl Iterator<Item = &str> {
        self.phrases.iter().map(|(p, _)| p.as_str())
    }

    /// Every occurrence of every phrase in `text` (the output of [`words`]), by start, and
    /// at one start in phrase order.
    pub fn find_all(&self, text: &Words) -> Vec<Match> {
        let mut out = Vec::new();
        for (start, &word) in text.0.iter().enumerate() {
            let Some(candidates) = self.by_first.get(word as usize) else {
                continue;
            };
            // Word 0 is "no phrase has it": `by_first[0]` is always empty.
            for &phrase in candidates {
                if let Some(end) = self.phrases[phrase].1.end_at(&text.0, start) {
                    out.push(Match { phrase, start, end });
                }
            }
        }
        out
    }

    /// Returns the phrase, as originally given, of the first phrase in list
    /// order that occurs in `text` (the output of [`words`]).
    pub fn first_match(&self, text: &Words) -> Option<&str> {
        self.find_all(text)
            .into_iter()
            .map(|m| m.phrase)
            .min()
            .map(|i| self.phrases[i].0.as_str())
    }

    /// Whether any phrase occurs in `text`.
    pub fn matches(&self, text: &Words) -> bool {
        text.0.iter().enumerate().any(|(start, &word)| {
            self.by_first.get(word as usize).is_some_and(|candidates| {
                candidates
                    .iter()
                    .any(|&p| self.phrases[p].1.end_at(&text.0, start).is_some())
            })
        })
    }

    /// Whether the set has no usable phrase.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// How many usable phrases the set has.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first<'a>(set: &'a KeywordSet, text: &str) -> Option<&'a str> {
        set.first_match(&words(text))
    }

    #[test]
    fn the_fast_letter_ranges_agree_with_unicode() {
        let ranges = ['\u{0}'..='\u{24F}', '\u{1E00}'..='\u{1EFF}'];
        for c in ranges.into_iter().flatten() {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    fn split(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        each_word(text, |w| out.push(w.to_string()));
        out
    }

    #[test]
    fn plain_text_is_split_as_the_character_path_splits_it() {
        for text in [
            "Đảng ủy tỉnh Hà Nguyên: siết chặt tuần tra, giữ vững an ninh.",
            "“Lũ lụt” – 2024… năm×nay÷ ÀÁ ɐʰ˂ ½ x²",
            "a",
            "",
            " ,. ",
            "Ngày 22/04/2024\r\n\tĐoàn",
        ] {
            // A lone combining mark after a space adds no word but takes the slow path.
            let slow = format!("{text} \u{301}");
            assert!(is_plain(text) && !is_plain(&slow), "{text:?}");
            assert_eq!(split(text), split(&slow), "{text:?}");
        }
        assert_eq!(split("Đảng ủy, x2"), ["Đảng", "ủy", "x2"]);
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
        assert!(!set.matches(&words("Chúng tôi đang làm việc")));
        assert!(!set.matches(&words("ĐANG")));
        assert!(set.matches(&words("Ban Chấp hành Trung ương Đảng")));
    }

    #[test]
    fn tone_placement_is_ignored() {
        assert!(KeywordSet::new(&["hòa bình"]).matches(&words("vì hoà bình thế giới")));
        assert!(KeywordSet::new(&["hoà bình"]).matches(&words("HÒA BÌNH")));
        assert!(KeywordSet::new(&["thủy"]).matches(&words("Thuỷ lợi")));
        assert!(KeywordSet::new(&["Tỉnh ủy"]).matches(&words("tỉnh uỷ Nghệ An")));
        assert!(KeywordSet::new(&["Hóa chất"]).matches(&words("hoá chất")));
        // Different tone is a different word.
        assert!(!KeywordSet::new(&["hòa"]).matches(&words("hỏa")));
        assert!(!KeywordSet::new(&["hòa"]).matches(&words("hoa")));
    }

    #[test]
    fn whole_words_only() {
        let set = KeywordSet::new(&["an ninh"]);
        assert!(!set.matches(&words("anninh")));
        assert!(!set.matches(&words("an")));
        assert!(!set.matches(&words("an toàn, ninh bình")));
        assert!(set.matches(&words("bảo vệ an-ninh")));
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
        assert!(!set.matches(&words("bất kỳ")));
        assert!(!set.matches(&Words::default()));
        let set = KeywordSet::new(&["", "Đảng"]);
        assert!(!set.is_empty());
        assert_eq!(first(&set, "Đảng"), Some("Đảng"));
        let none: [&str; 0] = [];
        assert!(KeywordSet::new(&none).is_empty());
        assert!(!KeywordSet::new(&[String::from("x")]).is_empty());
    }

    #[test]
    fn a_gap_stands_for_a_few_words() {
        let set = KeywordSet::new(&["Đảng ủy … Đồn"]);
        assert!(set.matches(&words("Đảng ủy, Ban Chỉ huy Đồn Biên phòng Lũng Cú")));
        assert!(set.matches(&words("Đảng ủy Đồn Biên phòng")));
        assert!(!set.matches(&words("Đảng ủy xã họp bàn với cán bộ của hai đồn")));
        assert!(!set.matches(&words("Đồn Biên phòng và Đảng ủy xã")));
        let dots = KeywordSet::new(&["Đảng ủy ... đồn"]);
        assert!(dots.matches(&words("Đảng ủy, Ban Chỉ huy Đồn")));
        assert!(KeywordSet::new(&["…", "..."]).is_empty());
    }

    #[test]
    fn find_all_gives_every_occurrence_with_its_span() {
        let set = KeywordSet::new(&["an ninh", "an ninh biên giới", "biên giới"]);
        let found = set.find_all(&words("Giữ an ninh biên giới; an ninh tốt."));
        let spans: Vec<(usize, usize, usize)> =
            found.iter().map(|m| (m.phrase, m.start, m.end)).collect();
        assert_eq!(spans, vec![(0, 1, 3), (1, 1, 5), (2, 3, 5), (0, 5, 7)]);
        assert!(found[0].is_part_of(&found[1]));
        assert!(found[2].is_part_of(&found[1]));
        assert!(!found[3].is_part_of(&found[1]));
        assert!(!found[1].is_part_of(&found[1]));
        assert_eq!(containers(&found), vec![Some(1), None, Some(1), None]);
    }

    #[test]
    fn containers_agree_with_is_part_of() {
        let set = KeywordSet::new(&["a b", "b", "a b c", "c d", "b c d e", "e", "a … e"]);
        let found = set.find_all(&words("a b c d e b a b x e c d"));
        let fast = containers(&found);
        for (i, m) in found.iter().enumerate() {
            let slow = found.iter().any(|n| m.is_part_of(n));
            assert_eq!(fast[i].is_some(), slow, "{m:?}");
            if let Some(c) = fast[i] {
                assert!(m.is_part_of(&found[c]), "{m:?} in {:?}", found[c]);
            }
        }
        assert!(fast.iter().any(Option::is_some) && fast.iter().any(Option::is_none));
    }

    #[test]
    fn normal_forms_ignore_case_tone_placement_and_punctuation() {
        assert_eq!(normal_form("Tỉnh ủy"), normal_form("tỉnh uỷ"));
        assert_eq!(normal_form("Đảng, Nhà nước"), normal_form("đảng nhà nước"));
        assert_ne!(normal_form("Đảng"), normal_form("đang"));
        assert_eq!(normal_form("Đảng ủy … đồn"), normal_form("đảng ủy...Đồn"));
        assert_eq!(normal_form(" -- "), None);
    }
}
