//! Owns Vietnamese datelines: parsing the forms newsrooms write ("Thứ Hai,
//! 22/04/2024, 07:00 (GMT+7)", "07:00 22/04/2024", ISO 8601) into an instant,
//! and formatting instants back in Vietnam time for feeds (RFC 822, RFC 3339)
//! and for readers.
//!
//! A time written without an offset is Vietnam local time in the zone
//! Asia/Ho_Chi_Minh, whose offset changed several times in the 20th century
//! (+08:00 in 1942-1945 and 1959-1975, +09:00 in 1945, ...), so the zone is
//! always consulted and never a fixed +07:00, nor the machine's own zone.

use chrono::{
    DateTime, Datelike, FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The zone every offset-less dateline is read in and every output written in.
pub const VIETNAM: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// First instant whose Vietnam offset is a whole number of minutes, as a Unix
/// timestamp: 1911-04-30T16:53:30Z, when Indochina left local mean time
/// (UTC+07:06:30) for UTC+07:00 (1911-05-01 00:00 local). Checked against
/// chrono-tz by a test.
const WHOLE_MINUTE_OFFSETS_FROM: i64 = -1_851_577_590;

/// Why a string could not be turned into an instant. Every variant carries the
/// offending input (trimmed); for `Unrecognized` it is the only field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatelineError {
    #[error("not a dateline: \"{0}\"")]
    Unrecognized(String),
    #[error("impossible date \"{input}\": {reason}")]
    Impossible { input: String, reason: String },
    #[error("local time \"{input}\" never existed in Vietnam: the clocks were moved past it")]
    NonexistentLocalTime { input: String },
    #[error("\"{input}\" is out of range: {reason}")]
    OutOfRange { input: String, reason: String },
    #[error(
        "wrong weekday in \"{input}\": that date is a {}, not a {}",
        english_weekday(*.actual),
        english_weekday(*.stated)
    )]
    WeekdayMismatch {
        input: String,
        stated: Weekday,
        actual: Weekday,
    },
    #[error("wrong offset in \"{input}\": Vietnam was at UTC{actual} then, not UTC{stated}")]
    OffsetMismatch {
        input: String,
        stated: FixedOffset,
        actual: FixedOffset,
    },
}

/// Parses a Vietnamese dateline or an ISO 8601 / RFC 3339 timestamp.
///
/// Accepted, after trimming: `HH:MM DD/MM/YYYY`, `DD/MM/YYYY HH:MM` or
/// `DD/MM/YYYY` (midnight), day, month and hour with one or two digits,
/// optional `:SS`; an optional weekday in front ("Thứ Hai", "Thứ 2", "Chủ
/// nhật", any case, NFC or NFD); `,` `-` `|` or spaces between the parts; an
/// optional "GMT+7" / "(GMT+7)" / "(GMT+07:00)" at the end, which must agree
/// with Vietnam's offset at that instant. Dates are always day first. ISO
/// forms with an offset keep it; without one they are Vietnam local time.
///
/// A local time that falls in a fold takes the earlier instant, unless a
/// stated GMT offset picks the other one.
pub fn parse(s: &str) -> Result<DateTime<Utc>, DatelineError> {
    let input = s.trim();
    let raw = parse_shape(&normalize(input)).ok_or_else(|| unrecognized(input))?;
    resolve(input, &raw)
}

/// Whether `s` has the shape of a dateline (a dd/mm/yyyy-like or ISO date,
/// with the optional weekday, time and GMT parts, and nothing else), whether
/// or not the numbers make a real date. Lets an importer tell "line 2 is a
/// dateline with a bad date" from "there is no dateline".
pub fn looks_like_dateline(s: &str) -> bool {
    parse_shape(&normalize(s.trim())).is_some()
}

/// The instant in Vietnam time.
pub fn to_vietnam(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&VIETNAM)
}

/// RFC 822 date in Vietnam time with a numeric offset, as RSS wants it:
/// "Mon, 22 Apr 2024 07:00:00 +0700".
///
/// Instants before 1911-04-30T16:53:30Z, when Vietnam's offset had seconds
/// that RFC 822 cannot carry, are written in UTC ("+0000").
pub fn rfc822(t: DateTime<Utc>) -> String {
    let (local, off) = feed_local(t);
    let (sign, h, m, _) = split_offset(off);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} {sign}{h:02}{m:02}",
        english_weekday(local.weekday())
            .get(..3)
            .unwrap_or_default(),
        local.day(),
        english_month(local.month()).get(..3).unwrap_or_default(),
        local.year(),
        local.hour(),
        local.minute(),
        local.second(),
    )
}

/// RFC 3339 timestamp in Vietnam time, whole seconds: "2024-04-22T07:00:00+07:00".
///
/// Instants before 1911-04-30T16:53:30Z are written in UTC ("+00:00"), for
/// the same reason as in [`rfc822`].
pub fn rfc3339(t: DateTime<Utc>) -> String {
    let (local, off) = feed_local(t);
    let (sign, h, m, _) = split_offset(off);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{h:02}:{m:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second(),
    )
}

/// The offset, in seconds east of UTC, that [`rfc822`] and [`rfc3339`] write for this
/// instant: Vietnam's (+25200 today, +28800 in 1970), or 0 where it had seconds.
pub fn feed_offset(t: DateTime<Utc>) -> i32 {
    feed_local(t).1
}

/// Dateline for readers, in Vietnam time with the offset of that instant:
/// "Thứ Hai, 22/04/2024, 07:00 (GMT+7)"; "(GMT+8)" in 1970.
pub fn human_vi(t: DateTime<Utc>) -> String {
    let off = VIETNAM.offset_from_utc_datetime(&t.naive_utc()).fix();
    let (local, off) = match t.naive_utc().checked_add_offset(off) {
        Some(local) => (local, off.local_minus_utc()),
        None => (t.naive_utc(), 0),
    };
    format!(
        "{}, {:02}/{:02}/{:04}, {:02}:{:02} (GMT{})",
        vietnamese_weekday(local.weekday()),
        local.day(),
        local.month(),
        local.year(),
        local.hour(),
        local.minute(),
        gmt_label(off),
    )
}

// ---------------------------------------------------------------------------
// Formatting helpers

/// Local wall time and offset (seconds) to put in a feed, falling back to UTC
/// where the Vietnam offset has seconds or the local time overflows chrono.
fn feed_local(t: DateTime<Utc>) -> (NaiveDateTime, i32) {
    let off = VIETNAM.offset_from_utc_datetime(&t.naive_utc()).fix();
    if off.local_minus_utc() % 60 == 0
        && let Some(local) = t.naive_utc().checked_add_offset(off)
    {
        return (local, off.local_minus_utc());
    }
    (t.naive_utc(), 0)
}

/// Sign, hours, minutes, seconds of an offset in seconds.
fn split_offset(off: i32) -> (char, i32, i32, i32) {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.abs();
    (sign, a / 3600, a / 60 % 60, a % 60)
}

/// "+7", "+5:30", "+7:06:30": the way Vietnamese papers write GMT offsets.
fn gmt_label(off: i32) -> String {
    let (sign, h, m, s) = split_offset(off);
    match (m, s) {
        (0, 0) => format!("{sign}{h}"),
        (_, 0) => format!("{sign}{h}:{m:02}"),
        _ => format!("{sign}{h}:{m:02}:{s:02}"),
    }
}

fn english_weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn vietnamese_weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

fn english_month(m: u32) -> &'static str {
    match m {
        1 => "January",
        2 => "February",
        3 => "March",
        4 => "April",
        5 => "May",
        6 => "June",
        7 => "July",
        8 => "August",
        9 => "September",
        10 => "October",
        11 => "November",
        _ => "December",
    }
}

// ---------------------------------------------------------------------------
// Shape: what the string says, digits still unchecked

/// How a stated offset is used: ISO timestamps mean it, Vietnamese datelines
/// only label the Vietnam time with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OffsetRole {
    Honoured,
    Checked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RawOffset {
    negative: bool,
    hours: String,
    minutes: Option<String>,
    role: OffsetRole,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RawTime {
    hour: String,
    minute: String,
    second: Option<String>,
    fraction: Option<String>,
}

/// A dateline as written. Digit strings are kept as they are so that a
/// dateline-shaped line with bad numbers can be told from a non-dateline.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Raw {
    iso: bool,
    weekday: Option<Weekday>,
    day: String,
    month: String,
    year: String,
    time: Option<RawTime>,
    offset: Option<RawOffset>,
}

fn normalize(s: &str) -> String {
    s.nfc().collect::<String>().to_lowercase()
}

fn parse_shape(norm: &str) -> Option<Raw> {
    parse_iso_shape(norm).or_else(|| parse_vn_shape(&lex(norm)?))
}

/// Cuts a run of ASCII digits off the front of `s`.
fn take_digits(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    // n counts ASCII bytes only, so it is a char boundary.
    let (digits, rest) = s.split_at_checked(n)?;
    (!digits.is_empty()).then_some((digits, rest))
}

/// ISO 8601 / RFC 3339: `YYYY-MM-DD[(T| )HH:MM[:SS[.f]][Z|±HH[:MM]]]`, on a
/// lowercased string.
fn parse_iso_shape(s: &str) -> Option<Raw> {
    let (year, s) = take_digits(s)?;
    let (month, s) = take_digits(s.strip_prefix('-')?)?;
    let (day, s) = take_digits(s.strip_prefix('-')?)?;
    let mut raw = Raw {
        iso: true,
        weekday: None,
        day: day.to_string(),
        month: month.to_string(),
        year: year.to_string(),
        time: None,
        offset: None,
    };
    if s.is_empty() {
        return Some(raw);
    }
    let s = s.strip_prefix(['t', ' '])?;
    let (hour, s) = take_digits(s)?;
    let (minute, mut s) = take_digits(s.strip_prefix(':')?)?;
    let mut time = RawTime {
        hour: hour.to_string(),
        minute: minute.to_string(),
        second: None,
        fraction: None,
    };
    if let Some(rest) = s.strip_prefix(':') {
        let (second, rest) = take_digits(rest)?;
        time.second = Some(second.to_string());
        s = rest;
        if let Some(rest) = s.strip_prefix(['.', ',']) {
            let (fraction, rest) = take_digits(rest)?;
            time.fraction = Some(fraction.to_string());
            s = rest;
        }
    }
    raw.time = Some(time);
    if s == "z" {
        raw.offset = Some(RawOffset {
            negative: false,
            hours: "00".to_string(),
            minutes: Some("00".to_string()),
            role: OffsetRole::Honoured,
        });
    } else if let Some(sign) = s.chars().next().filter(|c| matches!(c, '+' | '-')) {
        let (hours, rest) = take_digits(s.get(1..)?)?;
        let minutes = match rest.strip_prefix(':') {
            Some(rest) => {
                let (minutes, rest) = take_digits(rest)?;
                rest.is_empty().then_some(())?;
                Some(minutes.to_string())
            }
            None => {
                rest.is_empty().then_some(())?;
                None
            }
        };
        raw.offset = Some(RawOffset {
            negative: sign == '-',
            hours: hours.to_string(),
            minutes,
            role: OffsetRole::Honoured,
        });
    } else if !s.is_empty() {
        return None;
    }
    Some(raw)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(String),
    Word(String),
    Punct(char),
}

/// Splits a lowercased NFC dateline into numbers, words and punctuation.
/// Whitespace only separates tokens; `None` for characters no dateline has.
fn lex(s: &str) -> Option<Vec<Tok>> {
    let mut toks = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() {
            let mut n = String::new();
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                n.push(d);
            }
            toks.push(Tok::Num(n));
        } else if c.is_alphabetic() {
            let mut w = String::new();
            while let Some(l) = chars.next_if(|&l| l.is_alphabetic() || is_combining_mark(l)) {
                w.push(l);
            }
            toks.push(Tok::Word(w));
        } else {
            chars.next();
            // En and em dashes are what word processors turn " - " into.
            let p = match c {
                '/' | ':' | ',' | '-' | '|' | '(' | ')' | '+' => c,
                '\u{2013}' | '\u{2014}' => '-',
                _ => return None,
            };
            toks.push(Tok::Punct(p));
        }
    }
    Some(toks)
}

struct Cursor<'a> {
    toks: &'a [Tok],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<&Tok> {
        let t = self.toks.get(self.pos);
        self.pos += 1;
        t
    }

    fn punct(&mut self, p: char) -> bool {
        let hit = self.peek() == Some(&Tok::Punct(p));
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn num(&mut self) -> Option<String> {
        match self.peek() {
            Some(Tok::Num(n)) => {
                let n = n.clone();
                self.pos += 1;
                Some(n)
            }
            _ => None,
        }
    }

    fn word(&mut self) -> Option<String> {
        match self.peek() {
            Some(Tok::Word(w)) => {
                let w = w.clone();
                self.pos += 1;
                Some(w)
            }
            _ => None,
        }
    }

    /// Skips one optional separator between dateline parts.
    fn separator(&mut self) {
        let _ = self.punct(',') || self.punct('-') || self.punct('|');
    }

    /// Runs `f`; on failure puts the cursor back where it was.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = self.pos;
        let r = f(self);
        if r.is_none() {
            self.pos = save;
        }
        r
    }
}

enum Part {
    Date(String, String, String),
    Time(RawTime),
}

/// `weekday? part (sep? part)? (sep? gmt)?` where a part is a date or a time
/// and exactly one date is required.
fn parse_vn_shape(toks: &[Tok]) -> Option<Raw> {
    let mut c = Cursor { toks, pos: 0 };
    let weekday = parse_weekday(&mut c)?;
    if weekday.is_some() {
        c.separator();
    }
    let first = parse_part(&mut c)?;
    let second = c.attempt(|c| {
        c.separator();
        parse_part(c)
    });
    let ((day, month, year), time) = match (first, second) {
        (Part::Date(d, m, y), None) => ((d, m, y), None),
        (Part::Date(d, m, y), Some(Part::Time(t))) | (Part::Time(t), Some(Part::Date(d, m, y))) => {
            ((d, m, y), Some(t))
        }
        _ => return None,
    };
    let offset = c.attempt(|c| {
        c.separator();
        parse_gmt(c)
    });
    if c.peek().is_some() {
        return None;
    }
    Some(Raw {
        iso: false,
        weekday,
        day,
        month,
        year,
        time,
        offset,
    })
}

/// `Some(None)` when there is no weekday, `None` when a weekday starts but is
/// not one.
fn parse_weekday(c: &mut Cursor) -> Option<Option<Weekday>> {
    let day = match c.peek() {
        Some(Tok::Word(w)) if w == "thứ" => {
            c.pos += 1;
            match c.next()? {
                Tok::Word(w) => match w.as_str() {
                    "hai" => Weekday::Mon,
                    "ba" => Weekday::Tue,
                    "tư" => Weekday::Wed,
                    "năm" => Weekday::Thu,
                    "sáu" => Weekday::Fri,
                    // "bẩy" is a common spelling of "bảy".
                    "bảy" | "bẩy" => Weekday::Sat,
                    _ => return None,
                },
                Tok::Num(n) => match n.as_str() {
                    "2" => Weekday::Mon,
                    "3" => Weekday::Tue,
                    "4" => Weekday::Wed,
                    "5" => Weekday::Thu,
                    "6" => Weekday::Fri,
                    "7" => Weekday::Sat,
                    _ => return None,
                },
                Tok::Punct(_) => return None,
            }
        }
        Some(Tok::Word(w)) if w == "chủ" => {
            c.pos += 1;
            (c.word()? == "nhật").then_some(Weekday::Sun)?
        }
        _ => return Some(None),
    };
    Some(Some(day))
}

fn parse_part(c: &mut Cursor) -> Option<Part> {
    c.attempt(|c| {
        let a = c.num()?;
        if c.punct('/') {
            let m = c.num()?;
            c.punct('/').then_some(())?;
            let y = c.num()?;
            Some(Part::Date(a, m, y))
        } else if c.punct(':') {
            let minute = c.num()?;
            let second = c.attempt(|c| {
                c.punct(':').then_some(())?;
                c.num()
            });
            Some(Part::Time(RawTime {
                hour: a,
                minute,
                second,
                fraction: None,
            }))
        } else {
            None
        }
    })
}

/// `(GMT+7)`, `GMT+07:00`, `GMT+0700`, also with UTC; bare `GMT` is +0.
fn parse_gmt(c: &mut Cursor) -> Option<RawOffset> {
    let paren = c.punct('(');
    let w = c.word()?;
    (w == "gmt" || w == "utc").then_some(())?;
    let mut offset = RawOffset {
        negative: false,
        hours: "0".to_string(),
        minutes: None,
        role: OffsetRole::Checked,
    };
    let plus = c.punct('+');
    if plus || c.punct('-') {
        offset.negative = !plus;
        offset.hours = c.num()?;
        offset.minutes = c.attempt(|c| {
            c.punct(':').then_some(())?;
            c.num()
        });
    }
    if paren && !c.punct(')') {
        return None;
    }
    Some(offset)
}

// ---------------------------------------------------------------------------
// Meaning: checking the numbers and finding the instant

fn unrecognized(input: &str) -> DatelineError {
    DatelineError::Unrecognized(input.to_string())
}

fn impossible(input: &str, reason: String) -> DatelineError {
    DatelineError::Impossible {
        input: input.to_string(),
        reason,
    }
}

fn out_of_range(input: &str, reason: String) -> DatelineError {
    DatelineError::OutOfRange {
        input: input.to_string(),
        reason,
    }
}

/// Parses a digit string whose length is within `lens`.
fn field(digits: &str, lens: std::ops::RangeInclusive<usize>) -> Option<u32> {
    if lens.contains(&digits.len()) {
        digits.parse().ok()
    } else {
        None
    }
}

fn is_leap(y: u32) -> bool {
    y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn resolve(input: &str, raw: &Raw) -> Result<DateTime<Utc>, DatelineError> {
    let bad = || unrecognized(input);
    // ISO fixes two digits per field; newsroom datelines drop leading zeros.
    let short = if raw.iso { 2..=2 } else { 1..=2 };

    let year_digits = raw.year.as_str();
    if year_digits.len() < 4 {
        return Err(bad());
    }
    // Longer than 9 digits cannot fit in u32 but is out of range all the same.
    let year = year_digits.parse::<u32>().unwrap_or(u32::MAX);
    if year < 1900 {
        return Err(out_of_range(input, format!("year {year} is before 1900")));
    }
    if year > 9999 {
        return Err(out_of_range(
            input,
            format!("year {year_digits} is after 9999"),
        ));
    }
    let month = field(&raw.month, short.clone()).ok_or_else(bad)?;
    let day = field(&raw.day, short.clone()).ok_or_else(bad)?;
    if !(1..=12).contains(&month) {
        return Err(impossible(input, format!("there is no month {month}")));
    }
    let month_days = days_in_month(year, month);
    if day == 0 || day > month_days {
        let reason = if day == 0 {
            "there is no day 0".to_string()
        } else {
            format!("{} {year} has {month_days} days", english_month(month))
        };
        return Err(impossible(input, reason));
    }
    // Year, month and day were all checked above.
    let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(bad)?;

    let time = match &raw.time {
        None => NaiveTime::MIN,
        Some(t) => {
            let hour = field(&t.hour, short).ok_or_else(bad)?;
            let minute = field(&t.minute, 2..=2).ok_or_else(bad)?;
            let second = match &t.second {
                Some(s) => field(s, 2..=2).ok_or_else(bad)?,
                None => 0,
            };
            let nanos = match &t.fraction {
                Some(f) if (1..=9).contains(&f.len()) => {
                    f.parse::<u32>().map_err(|_| bad())? * 10u32.pow(9 - f.len() as u32)
                }
                Some(_) => return Err(bad()),
                None => 0,
            };
            for (value, max, name) in [
                (hour, 23, "hour"),
                (minute, 59, "minute"),
                (second, 59, "second"),
            ] {
                if value > max {
                    return Err(impossible(input, format!("there is no {name} {value}")));
                }
            }
            NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or_else(bad)?
        }
    };
    let naive = date.and_time(time);

    if let Some(stated) = raw.weekday {
        let actual = date.weekday();
        if stated != actual {
            return Err(DatelineError::WeekdayMismatch {
                input: input.to_string(),
                stated,
                actual,
            });
        }
    }

    let stated = match &raw.offset {
        None => None,
        Some(o) => Some((stated_offset(input, o)?, o.role)),
    };
    let instant = match stated {
        Some((offset, OffsetRole::Honoured)) => offset
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(bad)?
            .with_timezone(&Utc),
        Some((offset, OffsetRole::Checked)) => in_vietnam(input, naive, Some(offset))?,
        None => in_vietnam(input, naive, None)?,
    };
    check_representable(input, instant)?;
    if let Some((stated, OffsetRole::Checked)) = stated {
        let actual = VIETNAM.offset_from_utc_datetime(&instant.naive_utc()).fix();
        if actual != stated {
            return Err(DatelineError::OffsetMismatch {
                input: input.to_string(),
                stated,
                actual,
            });
        }
    }
    Ok(instant)
}

fn stated_offset(input: &str, o: &RawOffset) -> Result<FixedOffset, DatelineError> {
    let bad = || unrecognized(input);
    let (hours, minutes) = match (&o.minutes, o.hours.len()) {
        (Some(m), 1..=2) => (field(&o.hours, 1..=2), field(m, 2..=2)),
        // "+0700"
        (None, 4) => (
            field(o.hours.get(..2).unwrap_or(""), 2..=2),
            field(o.hours.get(2..).unwrap_or(""), 2..=2),
        ),
        (None, 1..=2) => (field(&o.hours, 1..=2), Some(0)),
        _ => (None, None),
    };
    let (hours, minutes) = (hours.ok_or_else(bad)?, minutes.ok_or_else(bad)?);
    let sign = if o.negative { '-' } else { '+' };
    if hours > 23 || minutes > 59 {
        return Err(impossible(
            input,
            format!("there is no UTC offset {sign}{hours:02}:{minutes:02}"),
        ));
    }
    let secs = (hours * 3600 + minutes * 60) as i32;
    FixedOffset::east_opt(if o.negative { -secs } else { secs }).ok_or_else(bad)
}

/// The instant of a Vietnam wall-clock time. In a fold the earlier instant
/// wins, unless `stated` names the offset of the later one.
fn in_vietnam(
    input: &str,
    naive: NaiveDateTime,
    stated: Option<FixedOffset>,
) -> Result<DateTime<Utc>, DatelineError> {
    let (earlier, later) = match VIETNAM.from_local_datetime(&naive) {
        MappedLocalTime::Single(t) => (t, None),
        MappedLocalTime::Ambiguous(a, b) => (a.min(b), Some(a.max(b))),
        MappedLocalTime::None => {
            return Err(DatelineError::NonexistentLocalTime {
                input: input.to_string(),
            });
        }
    };
    let chosen = match (later, stated) {
        (Some(later), Some(off))
            if later.offset().fix() == off && earlier.offset().fix() != off =>
        {
            later
        }
        _ => earlier,
    };
    Ok(chosen.with_timezone(&Utc))
}

/// Rejects instants the feeds cannot write in Vietnam time: a year outside
/// 1900..=9999 there, or an offset with seconds (local mean time before 1911).
fn check_representable(input: &str, t: DateTime<Utc>) -> Result<(), DatelineError> {
    if t.timestamp() < WHOLE_MINUTE_OFFSETS_FROM {
        let off = VIETNAM.offset_from_utc_datetime(&t.naive_utc()).fix();
        return Err(out_of_range(
            input,
            format!(
                "until 1911-04-30T16:53:30Z (1911-05-01 00:00 local) Vietnam kept local mean \
                 time, UTC{off}, and RFC 822 and RFC 3339 cannot carry an offset with seconds"
            ),
        ));
    }
    let year = to_vietnam(t).year();
    if !(1900..=9999).contains(&year) {
        return Err(out_of_range(
            input,
            format!("in Vietnam time that is in the year {year}, after 9999"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test literal")
            .with_timezone(&Utc)
    }

    /// Parses and shows the instant in Vietnam time, RFC 3339.
    fn vn(s: &str) -> String {
        match parse(s) {
            Ok(t) => rfc3339(t),
            Err(e) => panic!("{s:?} rejected: {e}"),
        }
    }

    fn err(s: &str) -> DatelineError {
        match parse(s) {
            Ok(t) => panic!("{s:?} accepted as {t}"),
            Err(e) => e,
        }
    }

    #[test]
    fn seed_dateline() {
        let t = parse("07:00 22/04/2024").expect("seed dateline");
        assert_eq!(t, utc("2024-04-22T00:00:00Z"));
        assert_eq!(rfc822(t), "Mon, 22 Apr 2024 07:00:00 +0700");
        assert_eq!(rfc3339(t), "2024-04-22T07:00:00+07:00");
        assert_eq!(human_vi(t), "Thứ Hai, 22/04/2024, 07:00 (GMT+7)");
    }

    #[test]
    fn date_and_time_orders() {
        assert_eq!(vn("22/04/2024 07:00"), "2024-04-22T07:00:00+07:00");
        assert_eq!(vn("  07:00 22/04/2024\n"), "2024-04-22T07:00:00+07:00");
        assert_eq!(vn("22/04/2024"), "2024-04-22T00:00:00+07:00");
        assert_eq!(vn("07:00:45 22/04/2024"), "2024-04-22T07:00:45+07:00");
        assert_eq!(vn("22/04/2024 23:59:59"), "2024-04-22T23:59:59+07:00");
        assert_eq!(
            parse("22/04/2024").map(|t| t.to_rfc3339()),
            Ok("2024-04-21T17:00:00+00:00".to_string())
        );
    }

    #[test]
    fn day_first_and_one_digit_fields() {
        assert_eq!(vn("05/01/2025"), "2025-01-05T00:00:00+07:00");
        assert_eq!(vn("6:05 5/1/2025"), "2025-01-05T06:05:00+07:00");
        assert_eq!(vn("5/1/2025 6:05"), "2025-01-05T06:05:00+07:00");
        assert_eq!(vn("12/11/2025"), "2025-11-12T00:00:00+07:00");
    }

    #[test]
    fn weekday_prefixes() {
        for s in [
            "Thứ Hai, 22/04/2024, 07:00",
            "Thứ hai 22/04/2024 07:00",
            "THỨ HAI, 07:00 22/04/2024",
            "Thứ 2, 22/04/2024 07:00",
            "thứ 2 - 22/04/2024 - 07:00",
            "Thu\u{301}\u{31B} Hai, 22/04/2024 07:00",
        ] {
            assert_eq!(vn(s), "2024-04-22T07:00:00+07:00", "{s}");
        }
        let week = [
            ("Thứ Ba", "23"),
            ("Thứ Tư", "24"),
            ("Thứ Năm", "25"),
            ("Thứ Sáu", "26"),
            ("Thứ Bảy", "27"),
            ("Thứ Bẩy", "27"),
            ("Chủ nhật", "28"),
            ("Chủ Nhật", "28"),
            ("CHỦ NHẬT", "28"),
            ("Thứ 3", "23"),
            ("Thứ 4", "24"),
            ("Thứ 5", "25"),
            ("Thứ 6", "26"),
            ("Thứ 7", "27"),
        ];
        for (name, day) in week {
            assert_eq!(
                vn(&format!("{name}, {day}/04/2024")),
                format!("2024-04-{day}T00:00:00+07:00"),
                "{name}"
            );
        }
    }

    #[test]
    fn separators_between_parts() {
        for s in [
            "22/04/2024, 07:00",
            "22/04/2024,07:00",
            "22/04/2024 - 07:00",
            "22/04/2024-07:00",
            "22/04/2024 | 07:00",
            "22/04/2024|07:00",
            "22/04/2024 \u{2013} 07:00",
            "07:00, 22/04/2024",
            "07:00 | 22/04/2024",
        ] {
            assert_eq!(vn(s), "2024-04-22T07:00:00+07:00", "{s}");
        }
    }

    #[test]
    fn gmt_suffix() {
        for s in [
            "22/04/2024 07:00 (GMT+7)",
            "22/04/2024 07:00 GMT+7",
            "22/04/2024 07:00 (GMT+07:00)",
            "22/04/2024 07:00(GMT+7)",
            "Thứ Hai, 22/04/2024, 07:00 (GMT+7)",
            "07:00 22/04/2024 - GMT+0700",
        ] {
            assert_eq!(vn(s), "2024-04-22T07:00:00+07:00", "{s}");
        }
    }

    #[test]
    fn gmt_suffix_must_agree_with_the_zone() {
        assert_eq!(
            err("22/04/2024 07:00 (GMT+8)"),
            DatelineError::OffsetMismatch {
                input: "22/04/2024 07:00 (GMT+8)".to_string(),
                stated: FixedOffset::east_opt(8 * 3600).unwrap(),
                actual: FixedOffset::east_opt(7 * 3600).unwrap(),
            }
        );
        // In 1970 Saigon time was +08:00, so +8 is right and +7 wrong.
        assert_eq!(vn("01/06/1970 12:00 (GMT+8)"), "1970-06-01T12:00:00+08:00");
        assert_eq!(
            err("01/06/1970 12:00 (GMT+7)").to_string(),
            "wrong offset in \"01/06/1970 12:00 (GMT+7)\": Vietnam was at UTC+08:00 then, \
             not UTC+07:00"
        );
    }

    #[test]
    fn iso_forms() {
        assert_eq!(
            parse("2024-04-22T07:00:00+07:00"),
            Ok(utc("2024-04-22T00:00:00Z"))
        );
        assert_eq!(
            parse("2024-04-22T00:00:00Z"),
            Ok(utc("2024-04-22T00:00:00Z"))
        );
        assert_eq!(
            parse("2024-04-22 07:00:00+07:00"),
            Ok(utc("2024-04-22T00:00:00Z"))
        );
        // Offsets are honoured, whatever Vietnam's was.
        assert_eq!(
            parse("2024-04-22T07:00:00-04:00"),
            Ok(utc("2024-04-22T11:00:00Z"))
        );
        assert_eq!(vn("2024-04-22T07:00:00-04:00"), "2024-04-22T18:00:00+07:00");
        assert_eq!(
            parse("2024-04-22T07:00:00.250+07:00"),
            Ok(utc("2024-04-22T00:00:00.250Z"))
        );
        assert_eq!(vn("2024-04-22t00:00:00z"), "2024-04-22T07:00:00+07:00");
        assert_eq!(vn("2024-04-22T07:00:00+0700"), "2024-04-22T07:00:00+07:00");
        // Without an offset: Vietnam local.
        assert_eq!(vn("2024-04-22T07:00"), "2024-04-22T07:00:00+07:00");
        assert_eq!(vn("2024-04-22"), "2024-04-22T00:00:00+07:00");
        assert_eq!(parse("2024-04-22"), Ok(utc("2024-04-21T17:00:00Z")));
        // Our own RFC 3339 output reads back.
        assert_eq!(vn("1970-06-01T12:00:00+08:00"), "1970-06-01T12:00:00+08:00");
    }

    #[test]
    fn history_of_the_zone_is_used() {
        let t = parse("12:00 01/06/1970").expect("1970");
        assert_eq!(t, utc("1970-06-01T04:00:00Z"));
        assert_eq!(rfc3339(t), "1970-06-01T12:00:00+08:00");
        assert_eq!(rfc822(t), "Mon, 01 Jun 1970 12:00:00 +0800");
        assert_eq!(human_vi(t), "Thứ Hai, 01/06/1970, 12:00 (GMT+8)");
        // Japanese occupation, +09:00.
        assert_eq!(vn("01/06/1945 12:00"), "1945-06-01T12:00:00+09:00");
        // 1975-06-13 back to +07:00.
        assert_eq!(vn("13/06/1975 12:00"), "1975-06-13T12:00:00+07:00");
    }

    #[test]
    fn folds_take_the_earlier_instant_unless_the_offset_says_otherwise() {
        // 1975-06-13 00:00 +08 became 1975-06-12 23:00 +07: 23:30 happened twice.
        assert_eq!(vn("23:30 12/06/1975"), "1975-06-12T23:30:00+08:00");
        assert_eq!(parse("23:30 12/06/1975"), Ok(utc("1975-06-12T15:30:00Z")));
        assert_eq!(
            parse("23:30 12/06/1975 (GMT+7)"),
            Ok(utc("1975-06-12T16:30:00Z"))
        );
    }

    #[test]
    fn nonexistent_local_time() {
        // 1942-12-31 23:00 +07 became 1943-01-01 00:00 +08.
        assert_eq!(
            err("23:30 31/12/1942"),
            DatelineError::NonexistentLocalTime {
                input: "23:30 31/12/1942".to_string()
            }
        );
        assert_eq!(vn("22:59 31/12/1942"), "1942-12-31T22:59:00+07:00");
        assert_eq!(vn("00:00 01/01/1943"), "1943-01-01T00:00:00+08:00");
    }

    #[test]
    fn impossible_dates() {
        assert_eq!(
            err("31/02/2024"),
            DatelineError::Impossible {
                input: "31/02/2024".to_string(),
                reason: "February 2024 has 29 days".to_string(),
            }
        );
        assert_eq!(
            err("31/02/2024").to_string(),
            "impossible date \"31/02/2024\": February 2024 has 29 days"
        );
        assert_eq!(
            err("29/02/2023").to_string(),
            "impossible date \"29/02/2023\": February 2023 has 28 days"
        );
        assert_eq!(vn("29/02/2024"), "2024-02-29T00:00:00+07:00");
        assert_eq!(vn("29/02/2000"), "2000-02-29T00:00:00+07:00");
        assert_eq!(
            err("29/02/2100").to_string(),
            "impossible date \"29/02/2100\": February 2100 has 28 days"
        );
        assert_eq!(
            err("31/04/2024").to_string(),
            "impossible date \"31/04/2024\": April 2024 has 30 days"
        );
        assert_eq!(
            err("25:00 22/04/2024").to_string(),
            "impossible date \"25:00 22/04/2024\": there is no hour 25"
        );
        assert_eq!(
            err("07:60 22/04/2024").to_string(),
            "impossible date \"07:60 22/04/2024\": there is no minute 60"
        );
        assert_eq!(
            err("07:00:60 22/04/2024").to_string(),
            "impossible date \"07:00:60 22/04/2024\": there is no second 60"
        );
        assert_eq!(
            err("22/13/2024").to_string(),
            "impossible date \"22/13/2024\": there is no month 13"
        );
        assert_eq!(
            err("0/1/2024").to_string(),
            "impossible date \"0/1/2024\": there is no day 0"
        );
        assert_eq!(
            err("2024-02-30").to_string(),
            "impossible date \"2024-02-30\": February 2024 has 29 days"
        );
        assert_eq!(
            err("2024-04-22T24:00:00Z").to_string(),
            "impossible date \"2024-04-22T24:00:00Z\": there is no hour 24"
        );
        assert_eq!(
            err("2024-04-22T07:00:00+25:00").to_string(),
            "impossible date \"2024-04-22T07:00:00+25:00\": there is no UTC offset +25:00"
        );
    }

    #[test]
    fn weekday_must_match_the_date() {
        assert_eq!(
            err("Thứ Ba, 22/04/2024"),
            DatelineError::WeekdayMismatch {
                input: "Thứ Ba, 22/04/2024".to_string(),
                stated: Weekday::Tue,
                actual: Weekday::Mon,
            }
        );
        assert_eq!(
            err("Chủ nhật, 22/04/2024").to_string(),
            "wrong weekday in \"Chủ nhật, 22/04/2024\": that date is a Monday, not a Sunday"
        );
    }

    #[test]
    fn years_out_of_range() {
        assert_eq!(
            err("01/01/1899"),
            DatelineError::OutOfRange {
                input: "01/01/1899".to_string(),
                reason: "year 1899 is before 1900".to_string(),
            }
        );
        assert_eq!(
            err("01/01/10000").to_string(),
            "\"01/01/10000\" is out of range: year 10000 is after 9999"
        );
        assert_eq!(
            err("10000-01-01").to_string(),
            "\"10000-01-01\" is out of range: year 10000 is after 9999"
        );
        assert_eq!(
            err("1899-12-31T23:59:59Z").to_string(),
            "\"1899-12-31T23:59:59Z\" is out of range: year 1899 is before 1900"
        );
        assert!(matches!(
            err("01/01/99999999999999999999"),
            DatelineError::OutOfRange { .. }
        ));
        // Fine in UTC, but 10000 in Vietnam time.
        assert_eq!(
            err("9999-12-31T23:00:00Z").to_string(),
            "\"9999-12-31T23:00:00Z\" is out of range: in Vietnam time that is in the year \
             10000, after 9999"
        );
        assert_eq!(vn("31/12/9999 23:59:59"), "9999-12-31T23:59:59+07:00");
    }

    #[test]
    fn local_mean_time_cutoff_matches_chrono_tz() {
        let first = DateTime::from_timestamp(WHOLE_MINUTE_OFFSETS_FROM, 0).unwrap();
        assert_eq!(first, utc("1911-04-30T16:53:30Z"));
        let off = |t: DateTime<Utc>| VIETNAM.offset_from_utc_datetime(&t.naive_utc()).fix();
        assert_eq!(off(first).local_minus_utc(), 7 * 3600);
        let before = first - chrono::Duration::seconds(1);
        assert_eq!(off(before).local_minus_utc(), 7 * 3600 + 6 * 60 + 30);
        // Nothing earlier has a whole-minute offset.
        for y in 1890..1911 {
            let t = Utc.with_ymd_and_hms(y, 6, 1, 0, 0, 0).unwrap();
            assert_ne!(off(t).local_minus_utc() % 60, 0, "{y}");
        }
    }

    #[test]
    fn local_mean_time_is_out_of_range() {
        assert_eq!(
            err("01/01/1905").to_string(),
            "\"01/01/1905\" is out of range: until 1911-04-30T16:53:30Z (1911-05-01 00:00 \
             local) Vietnam kept local mean time, UTC+07:06:30, and RFC 822 and RFC 3339 \
             cannot carry an offset with seconds"
        );
        assert!(matches!(
            err("1911-04-30T16:53:29Z"),
            DatelineError::OutOfRange { .. }
        ));
        assert_eq!(vn("1911-04-30T16:53:30Z"), "1911-04-30T23:53:30+07:00");
        assert_eq!(vn("01/05/1911"), "1911-05-01T00:00:00+07:00");
        // 23:55 local came twice; the earlier is still local mean time, but
        // a stated +7 picks the later one.
        assert!(matches!(
            err("23:55 30/04/1911"),
            DatelineError::OutOfRange { .. }
        ));
        assert_eq!(vn("23:55 30/04/1911 GMT+7"), "1911-04-30T23:55:00+07:00");
        // An offset that disagrees is still out of range rather than a mismatch.
        assert!(matches!(
            err("01/01/1905 (GMT+7)"),
            DatelineError::OutOfRange { .. }
        ));
    }

    #[test]
    fn unrecognized() {
        for s in [
            "",
            "   ",
            "Hà Nội",
            "07:00",
            "22/04",
            "22/04/24",
            "22-04-2024",
            "22.04.2024",
            "22/04/2024 07",
            "22/04/2024 07:0",
            "22/04/2024 07:00:5",
            "22/04/2024 22/04/2024",
            "07:00 08:00 22/04/2024",
            "22/04/2024,",
            "22/04/2024 (GMT+7",
            "Thứ Tám, 22/04/2024",
            "Thứ 8, 22/04/2024",
            "Chủ, 22/04/2024",
            "Ngày 22/04/2024, Bộ Công an thông báo",
            "22/04/2024 07:00 sáng",
            "2024-04-22T07",
            "2024-4-22",
            "2024-04-22T07:00:00+07:00 extra",
            "2024-04-22T07:00:00.1234567890Z",
            "22/04/2024 GMT+7:0",
            "２２/04/2024",
            "(",
            "thứ",
            "gmt",
            "2024-",
            "2024-04-22T07:00:00+",
            "22/04/2024 07:00 (GMT+)",
        ] {
            assert_eq!(
                parse(s),
                Err(DatelineError::Unrecognized(s.trim().to_string())),
                "{s:?}"
            );
        }
        assert_eq!(err("Hà Nội").to_string(), "not a dateline: \"Hà Nội\"");
    }

    #[test]
    fn looks_like_dateline_is_about_shape() {
        for s in [
            "07:00 22/04/2024",
            "Thứ Hai, 22/04/2024, 07:00 (GMT+7)",
            "31/02/2024",
            "99/99/9999",
            "25:00 22/04/2024",
            "22/04/24",
            "Thứ Ba, 22/04/2024",
            "2024-04-22",
            "2024-02-30T07:00:00+07:00",
            "2024-4-22",
            "01/01/1899",
        ] {
            assert!(looks_like_dateline(s), "{s:?}");
        }
        for s in [
            "",
            "Hà Nội",
            "07:00",
            "Ngày 22/04/2024, Bộ Công an thông báo",
            "Giá tăng 1/2 so với tháng trước",
            "Thứ Tám, 22/04/2024",
        ] {
            assert!(!looks_like_dateline(s), "{s:?}");
        }
    }

    #[test]
    fn formats() {
        let t = utc("2025-01-05T23:06:09.75Z");
        assert_eq!(rfc822(t), "Mon, 06 Jan 2025 06:06:09 +0700");
        assert_eq!(rfc3339(t), "2025-01-06T06:06:09+07:00");
        assert_eq!(human_vi(t), "Thứ Hai, 06/01/2025, 06:06 (GMT+7)");
        let sunday = utc("2024-04-28T10:30:00Z");
        assert_eq!(human_vi(sunday), "Chủ nhật, 28/04/2024, 17:30 (GMT+7)");
        assert_eq!(rfc822(sunday), "Sun, 28 Apr 2024 17:30:00 +0700");
        assert_eq!(to_vietnam(sunday).to_rfc3339(), "2024-04-28T17:30:00+07:00");
        // human_vi reads back to the same minute.
        assert_eq!(parse(&human_vi(sunday)), Ok(utc("2024-04-28T10:30:00Z")));
    }

    #[test]
    fn formats_before_1911_fall_back_to_utc_or_show_seconds() {
        let t = utc("1905-03-01T00:00:00Z");
        assert_eq!(rfc822(t), "Wed, 01 Mar 1905 00:00:00 +0000");
        assert_eq!(rfc3339(t), "1905-03-01T00:00:00+00:00");
        assert_eq!(human_vi(t), "Thứ Tư, 01/03/1905, 07:06 (GMT+7:06:30)");
    }

    #[test]
    fn formatting_extreme_instants_does_not_panic() {
        for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            assert!(!rfc822(t).is_empty());
            assert!(!rfc3339(t).is_empty());
            assert!(!human_vi(t).is_empty());
        }
        assert_eq!(
            rfc3339(DateTime::<Utc>::MAX_UTC),
            "262142-12-31T23:59:59+00:00"
        );
    }

    /// Run again in a child process with a far-away TZ by
    /// `result_does_not_depend_on_machine_zone`.
    #[test]
    fn fixed_results_whatever_the_machine_zone() {
        let t = parse("07:00 22/04/2024").expect("seed");
        assert_eq!(t.timestamp(), 1_713_744_000);
        assert_eq!(rfc822(t), "Mon, 22 Apr 2024 07:00:00 +0700");
        let t = parse("12:00 01/06/1970").expect("1970");
        assert_eq!(t.timestamp(), 13_060_800);
        assert_eq!(rfc3339(t), "1970-06-01T12:00:00+08:00");
        assert_eq!(human_vi(t), "Thứ Hai, 01/06/1970, 12:00 (GMT+8)");
    }

    #[test]
    fn result_does_not_depend_on_machine_zone() {
        // Test names have no crate prefix; module_path! has it.
        let module = module_path!()
            .split_once("::")
            .map_or(module_path!(), |(_, rest)| rest);
        let name = format!("{module}::fixed_results_whatever_the_machine_zone");
        let exe = std::env::current_exe().expect("test binary path");
        for tz in ["America/New_York", "Pacific/Kiritimati", "<-12>12"] {
            let out = std::process::Command::new(&exe)
                .args(["--exact", &name, "--test-threads=1"])
                .env("TZ", tz)
                .output()
                .expect("rerun test binary");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "TZ={tz}: {stdout}");
            assert!(stdout.contains("1 passed"), "TZ={tz}: {stdout}");
        }
    }
}
