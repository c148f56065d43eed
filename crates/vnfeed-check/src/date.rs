//! Strict readers for the three date formats feeds use: RFC 822 (RSS; with RFC 5322's
//! four-digit years), RFC 3339 (Atom, JSON Feed) and W3C-DTF (dc:date). They answer
//! "is this valid, what instant is it, and what zone did it claim", which a general date
//! parser (chrono's `parse_from_rfc2822` accepts far more) cannot. Vietnamese datelines are
//! `vietnamese::dateline`'s job; nothing here reads them.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};

/// The zone a date claimed, which matters apart from the instant: a local time labelled
/// GMT is the classic mistake, and `-0000` says "zone unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// GMT, UT, UTC's `Z`, `+0000`, `+00:00`.
    Utc,
    /// Any other offset, in seconds east of UTC.
    Offset(i32),
    /// `-0000`, `-00:00` and the military letters: the writer did not know the zone.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub instant: DateTime<Utc>,
    pub zone: Zone,
}

/// A valid RFC 822 date, possibly in a form readers often get wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfc822 {
    pub stamp: Stamp,
    /// Why the form is problematic (two-digit year, lower-case names, comments).
    pub problem: Option<String>,
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Finds `word` among `names` ignoring case; says whether the case was the usual one.
fn name_index(names: &[&str], word: &str) -> Option<(usize, bool)> {
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(word))
        .map(|i| (i, names[i] == word))
}

fn digits(s: &str, min: usize, max: usize) -> Option<u32> {
    (s.len() >= min && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Reads an RFC 822 date-time: `[Day, ]D Mon YYYY HH:MM[:SS] ZONE`.
pub fn rfc822(input: &str) -> Result<Rfc822, String> {
    let mut problems = Vec::new();
    let text = if input.contains('(') {
        problems.push("it has a comment".to_string());
        strip_comments(input)
    } else {
        input.to_string()
    };
    if text.trim_start().get(4..5) == Some("-")
        && text.trim_start()[..4].bytes().all(|b| b.is_ascii_digit())
    {
        return Err("this is an ISO 8601 date; RSS dates are RFC 822, such as \
                    `Mon, 22 Apr 2024 07:00:00 +0700`"
            .into());
    }
    if let Some(i) = text.find(',')
        && text[i + 1..].starts_with(|c: char| !c.is_whitespace())
    {
        problems.push("put a space after the comma".to_string());
    }
    let spaced = text.replace(',', " , ");
    let mut tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.is_empty() {
        return Err("the date is empty".into());
    }
    let mut weekday = None;
    if tokens.get(1) == Some(&",") {
        match name_index(&DAYS, tokens[0]) {
            Some((i, exact)) => {
                if !exact {
                    problems.push(format!("`{}` should be written `{}`", tokens[0], DAYS[i]));
                }
                weekday = Some(i);
            }
            None => {
                return Err(format!(
                    "`{}` is not an English day name (Mon, Tue, Wed, Thu, Fri, Sat, Sun)",
                    tokens[0]
                ));
            }
        }
        tokens.drain(..2);
    } else if tokens[0].chars().next().is_some_and(char::is_alphabetic) {
        return Err(format!(
            "`{}` is not an English day name followed by a comma",
            tokens[0]
        ));
    }
    let [day, month, year, time, rest @ ..] = tokens.as_slice() else {
        return Err("expected `D Mon YYYY HH:MM[:SS] ZONE`".into());
    };
    let day = digits(day, 1, 2).ok_or_else(|| format!("`{day}` is not a day of the month"))?;
    let month = match name_index(&MONTHS, month) {
        Some((i, exact)) => {
            if !exact {
                problems.push(format!("`{month}` should be written `{}`", MONTHS[i]));
            }
            i as u32 + 1
        }
        None => {
            return Err(format!(
                "`{month}` is not an English month name (Jan, Feb, ... Dec)"
            ));
        }
    };
    let year = match (digits(year, 4, 4), digits(year, 2, 2)) {
        (Some(y), _) => y as i32,
        (None, Some(y)) => {
            problems.push(format!("the year `{y:02}` has two digits; write four"));
            // RFC 5322 4.3: 00-49 are 2000-2049, 50-99 are 1950-1999.
            if y < 50 {
                2000 + y as i32
            } else {
                1900 + y as i32
            }
        }
        _ => return Err(format!("`{year}` is not a four-digit year")),
    };
    let time = clock(time, false)?;
    let zone_text = match rest {
        [] => {
            return Err("the time zone is missing (RFC 822 needs one: +0700 for Vietnam)".into());
        }
        [zone] => *zone,
        [zone, extra, ..] => return Err(format!("unexpected `{extra}` after the zone `{zone}`")),
    };
    if zone_text.bytes().all(|b| b.is_ascii_alphabetic())
        && zone_text.bytes().any(|b| b.is_ascii_lowercase())
    {
        problems.push(format!(
            "the zone `{zone_text}` should be written `{}`",
            zone_text.to_ascii_uppercase()
        ));
    }
    if let [b'+' | b'-', digits @ ..] = zone_text.as_bytes()
        && digits.len() == 4
        && !matches!(&digits[2..], b"00" | b"30" | b"45")
    {
        problems.push(format!(
            "the offset `{zone_text}` has minutes no time zone uses"
        ));
    }
    let (offset, zone) = rfc822_zone(&zone_text.to_ascii_uppercase())?;
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("{day} {} {year} is not a date", MONTHS[month as usize - 1]))?;
    if let Some(i) = weekday {
        let actual = date.weekday();
        if actual.num_days_from_monday() as usize != i {
            return Err(format!(
                "{day} {} {year} is a {}, not {}",
                MONTHS[month as usize - 1],
                weekday_name(actual),
                DAYS[i]
            ));
        }
    }
    let stamp = stamp(date.and_time(time), offset, zone);
    Ok(Rfc822 {
        stamp,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    })
}

fn weekday_name(w: Weekday) -> &'static str {
    DAYS[w.num_days_from_monday() as usize]
}

fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            // RFC 822 3.4.1: a backslash quotes the next character inside a comment.
            '\\' if depth > 0 => {
                chars.next();
            }
            '(' => depth += 1,
            ')' if depth > 0 => {
                depth -= 1;
                out.push(' ');
            }
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `HH:MM[:SS]` (RFC 822), or with `rfc3339` `HH:MM:SS[.frac]`.
fn clock(s: &str, rfc3339: bool) -> Result<NaiveTime, String> {
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) if rfc3339 => (m, Some(f)),
        _ => (s, None),
    };
    let parts: Vec<&str> = main.split(':').collect();
    let bad = || {
        if rfc3339 {
            format!("`{s}` is not a time (HH:MM:SS)")
        } else {
            format!("`{s}` is not a time (HH:MM or HH:MM:SS)")
        }
    };
    let (h, m, sec) = match parts.as_slice() {
        [h, m] if !rfc3339 => (*h, *m, "00"),
        [h, m, sec] => (*h, *m, *sec),
        _ => return Err(bad()),
    };
    let (h, m, sec) = (
        digits(h, 2, 2).ok_or_else(bad)?,
        digits(m, 2, 2).ok_or_else(bad)?,
        digits(sec, 2, 2).ok_or_else(bad)?,
    );
    let nanos = match frac {
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let f = &f[..f.len().min(9)];
            f.parse::<u32>().map_err(|_| bad())? * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return Err(bad()),
        None => 0,
    };
    if h > 23 || m > 59 || sec > 60 {
        return Err(format!("`{s}` is not a time of day"));
    }
    // A leap second is 59 plus a whole second, the way chrono represents it.
    let (sec, nanos) = if sec == 60 {
        (59, 1_000_000_000 + nanos.min(999_999_999))
    } else {
        (sec, nanos)
    };
    NaiveTime::from_hms_nano_opt(h, m, sec, nanos).ok_or_else(bad)
}

fn rfc822_zone(z: &str) -> Result<(i32, Zone), String> {
    let named = |hours: i32| Ok((hours * 3600, Zone::Offset(hours * 3600)));
    match z {
        "GMT" | "UT" | "Z" => return Ok((0, Zone::Utc)),
        "EST" => return named(-5),
        "EDT" => return named(-4),
        "CST" => return named(-6),
        "CDT" => return named(-5),
        "MST" => return named(-7),
        "MDT" => return named(-6),
        "PST" => return named(-8),
        "PDT" => return named(-7),
        _ => {}
    }
    // RFC 5322 4.3: military letters had their signs reversed in RFC 822 and mean -0000.
    if z.len() == 1
        && z.bytes()
            .all(|b| b.is_ascii_alphabetic() && b != b'J' && b != b'j')
    {
        return Ok((0, Zone::Unknown));
    }
    let (sign, body) = split_sign(z);
    if let (Some(sign), Some(h), Some(m)) = (sign, body.get(..2), body.get(2..))
        && let Some(zone) = numeric_zone(sign, h, m)
    {
        return Ok(zone);
    }
    Err(format!(
        "`{z}` is not an RFC 822 zone (use +HHMM, such as +0700, or GMT)"
    ))
}

fn stamp(local: NaiveDateTime, offset: i32, zone: Zone) -> Stamp {
    let instant = local - chrono::Duration::seconds(offset as i64);
    Stamp {
        instant: instant.and_utc(),
        zone,
    }
}

/// Reads an RFC 3339 date-time, `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`. Atom (RFC 4287
/// 3.3) wants the `T` and `Z` upper-case; JSON Feed follows RFC 3339, which allows either.
pub fn rfc3339(s: &str, upper_case_only: bool) -> Result<Stamp, String> {
    let (date, rest) = s
        .split_at_checked(10)
        .ok_or_else(|| format!("`{s}` is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS+07:00)"))?;
    let date = full_date(date)?;
    let rest = match rest.chars().next() {
        Some('T') => &rest[1..],
        Some('t') if !upper_case_only => &rest[1..],
        Some('t') => return Err("the `T` must be upper-case (RFC 4287 3.3)".into()),
        Some(' ') => return Err("date and time are joined by `T`, not a space".into()),
        None => return Err(format!("`{s}` has no time: a date-time is required")),
        Some(_) => return Err(format!("`{s}` is not an RFC 3339 date-time")),
    };
    let zone_at = rest
        .find(['Z', 'z', '+', '-'])
        .ok_or_else(|| format!("`{s}` has no time zone (Z or ±HH:MM is required)"))?;
    let time = clock(&rest[..zone_at], true)?;
    let (offset, zone) = rfc3339_offset(&rest[zone_at..], upper_case_only)?;
    Ok(stamp(date.and_time(time), offset, zone))
}

fn full_date(s: &str) -> Result<NaiveDate, String> {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("`{s}` is not a date (YYYY-MM-DD)"));
    };
    let (Some(y), Some(m), Some(d)) = (digits(y, 4, 4), digits(m, 2, 2), digits(d, 2, 2)) else {
        return Err(format!("`{s}` is not a date (YYYY-MM-DD)"));
    };
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(|| format!("`{s}` is not a date"))
}

fn rfc3339_offset(z: &str, upper_case_only: bool) -> Result<(i32, Zone), String> {
    match z {
        "Z" => return Ok((0, Zone::Utc)),
        "z" if !upper_case_only => return Ok((0, Zone::Utc)),
        "z" => return Err("the `Z` must be upper-case (RFC 4287 3.3)".into()),
        _ => {}
    }
    let (sign, body) = split_sign(z);
    let hm = body.split_once(':');
    match (sign, hm) {
        (Some(sign), Some((h, m))) => numeric_zone(sign, h, m),
        _ => None,
    }
    .ok_or_else(|| format!("`{z}` is not an RFC 3339 offset (Z or ±HH:MM, such as +07:00)"))
}

fn split_sign(z: &str) -> (Option<i32>, &str) {
    match z.as_bytes().first() {
        Some(b'+') => (Some(1), &z[1..]),
        Some(b'-') => (Some(-1), &z[1..]),
        _ => (None, z),
    }
}

/// A numeric offset from its sign and two-digit hours and minutes. `-00:00` / `-0000`
/// is RFC 3339's and RFC 5322's "zone unknown".
fn numeric_zone(sign: i32, hours: &str, minutes: &str) -> Option<(i32, Zone)> {
    let (h, m) = (digits(hours, 2, 2)? as i32, digits(minutes, 2, 2)? as i32);
    if h > 23 || m > 59 {
        return None;
    }
    let seconds = sign * (h * 3600 + m * 60);
    let zone = match (seconds, sign) {
        (0, -1) => Zone::Unknown,
        (0, _) => Zone::Utc,
        (s, _) => Zone::Offset(s),
    };
    Some((seconds, zone))
}

/// What a W3C-DTF date (dc:date) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum W3cdtf {
    /// A date-time with a zone.
    Stamp(Stamp),
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: valid, no time, so no zone needed.
    Date,
    /// A time with no zone: valid W3C-DTF, but the instant is a guess.
    NoZone,
}

pub fn w3cdtf(s: &str) -> Result<W3cdtf, String> {
    let bad = || format!("`{s}` is not a W3C-DTF date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+07:00)");
    match s.len() {
        4 => return digits(s, 4, 4).map(|_| W3cdtf::Date).ok_or_else(bad),
        7 => {
            let (y, m) = s.split_once('-').ok_or_else(bad)?;
            return match (digits(y, 4, 4), digits(m, 2, 2)) {
                (Some(_), Some(m)) if (1..=12).contains(&m) => Ok(W3cdtf::Date),
                _ => Err(bad()),
            };
        }
        10 => return full_date(s).map(|_| W3cdtf::Date).map_err(|_| bad()),
        _ => {}
    }
    if let Ok(stamp) = rfc3339(s, true) {
        return Ok(W3cdtf::Stamp(stamp));
    }
    // W3C-DTF also allows hh:mm without seconds, with a zone.
    let (date, time) = s.split_once('T').ok_or_else(bad)?;
    full_date(date).map_err(|_| bad())?;
    let zone_at = time.find(['Z', '+', '-']);
    let clock_text = &time[..zone_at.unwrap_or(time.len())];
    let with_seconds = if clock_text.len() == 5 {
        format!("{clock_text}:00")
    } else {
        clock_text.to_string()
    };
    clock(&with_seconds, true).map_err(|_| bad())?;
    match zone_at {
        None => Ok(W3cdtf::NoZone),
        Some(at) => rfc3339(&format!("{date}T{with_seconds}{}", &time[at..]), true)
            .map(W3cdtf::Stamp)
            .map_err(|_| bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn rfc822_accepts_the_strict_form_and_keeps_the_zone() {
        let d = rfc822("Mon, 22 Apr 2024 07:00:00 +0700").unwrap();
        assert_eq!(d.stamp.instant, at("2024-04-22T00:00:00Z"));
        assert_eq!(d.stamp.zone, Zone::Offset(25200));
        assert_eq!(d.problem, None);
        let d = rfc822("22 Apr 2024 00:00 GMT").unwrap();
        assert_eq!(d.stamp.zone, Zone::Utc);
        assert_eq!(d.problem, None);
        assert_eq!(
            rfc822("1 Apr 2024 00:00:00 -0000").unwrap().stamp.zone,
            Zone::Unknown
        );
        assert_eq!(
            rfc822("1 Apr 2024 00:00:00 A").unwrap().stamp.zone,
            Zone::Unknown
        );
        assert_eq!(
            rfc822("Sun, 01 Jan 2017 00:00:00 EST")
                .unwrap()
                .stamp
                .instant,
            at("2017-01-01T05:00:00Z")
        );
    }

    #[test]
    fn rfc822_rejects_what_readers_cannot_read() {
        for (input, why) in [
            ("Thứ Hai, 22 Apr 2024 07:00:00 +0700", "English day"),
            ("Mon, 22 Thg4 2024 07:00:00 +0700", "English month"),
            ("Tue, 22 Apr 2024 07:00:00 +0700", "is a Mon, not Tue"),
            ("Mon, 22 Apr 2024 07:00:00", "zone is missing"),
            ("Mon, 22 Apr 2024 07:00:00 ICT", "not an RFC 822 zone"),
            ("Mon, 22 Apr 2024 07:00:00 +07:00", "not an RFC 822 zone"),
            ("Mon, 22 Apr 2024 07:00:00 GMT+7", "not an RFC 822 zone"),
            ("Fri, 31 Feb 2024 07:00:00 +0700", "not a date"),
            ("Mon, 22 Apr 2024 24:00:00 +0700", "not a time of day"),
            ("Mon, 22 Apr 2024 7:00:00 +0700", "not a time"),
            ("2024-04-22T07:00:00+07:00", "ISO 8601"),
            (
                "Mon, 22 Apr 2024 07:00:00 +0700 extra",
                "unexpected `extra`",
            ),
        ] {
            let err = rfc822(input).unwrap_err();
            assert!(err.contains(why), "{input}: {err}");
        }
    }

    #[test]
    fn rfc822_flags_forms_readers_misread() {
        let problem = |s: &str| rfc822(s).unwrap().problem.unwrap_or_default();
        assert!(problem("Sat,29 Jul 2006 00:03:02 +0000").contains("space after the comma"));
        assert!(problem("31 Dec 2002 14:20:20 -0234").contains("minutes"));
        assert_eq!(problem("Tue, 31 Dec 2002 14:20:20 +0530"), "");
        let d = rfc822("Mon, 22 Apr 24 07:00:00 +0700").unwrap();
        assert_eq!(d.stamp.instant, at("2024-04-22T00:00:00Z"));
        assert!(d.problem.unwrap().contains("two digits"));
        assert!(
            rfc822("mon, 22 apr 2024 07:00:00 +0700")
                .unwrap()
                .problem
                .unwrap()
                .contains("`Mon`")
        );
        assert!(
            rfc822("Mon, 22 Apr 2024 07:00:00 +0700 (ICT)")
                .unwrap()
                .problem
                .is_some()
        );
    }

    #[test]
    fn rfc3339_is_strict_about_atom_case_seconds_and_zone() {
        let s = rfc3339("2024-04-22T07:00:00+07:00", true).unwrap();
        assert_eq!(s.instant, at("2024-04-22T00:00:00Z"));
        assert_eq!(s.zone, Zone::Offset(25200));
        assert_eq!(
            rfc3339("2024-04-22T00:00:00.250Z", true).unwrap().zone,
            Zone::Utc
        );
        assert_eq!(
            rfc3339("2024-04-22T00:00:00-00:00", true).unwrap().zone,
            Zone::Unknown
        );
        assert!(rfc3339("2024-04-22t00:00:00z", false).is_ok());
        for (input, why) in [
            ("2024-04-22t00:00:00Z", "upper-case"),
            ("2024-04-22T00:00:00z", "upper-case"),
            ("2024-04-22 07:00:00+07:00", "not a space"),
            ("2024-04-22T07:00+07:00", "HH:MM:SS"),
            ("2024-04-22T07:00:00", "no time zone"),
            ("2024-04-22T07:00:00+0700", "offset"),
            ("2024-02-30T07:00:00+07:00", "not a date"),
            ("2024-04-22", "no time"),
            ("22/04/2024 07:00", "not a date"),
        ] {
            let err = rfc3339(input, true).unwrap_err();
            assert!(err.contains(why), "{input}: {err}");
        }
    }

    #[test]
    fn w3cdtf_allows_dates_and_tells_a_missing_zone() {
        assert_eq!(w3cdtf("2024").unwrap(), W3cdtf::Date);
        assert_eq!(w3cdtf("2024-04").unwrap(), W3cdtf::Date);
        assert_eq!(w3cdtf("2024-04-22").unwrap(), W3cdtf::Date);
        assert_eq!(w3cdtf("2024-04-22T07:00:00").unwrap(), W3cdtf::NoZone);
        assert!(matches!(
            w3cdtf("2024-04-22T07:00+07:00").unwrap(),
            W3cdtf::Stamp(_)
        ));
        assert!(w3cdtf("22/04/2024").is_err());
        assert!(w3cdtf("2024-13").is_err());
    }
}
