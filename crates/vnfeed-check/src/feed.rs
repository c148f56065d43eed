//! The format-neutral view of a feed, and the rules every format shares: the self link,
//! the language, item identity (duplicate and unstable ids, duplicate items), and dates
//! (in the future, or a Vietnam local time labelled GMT). Each format's module fills
//! `Facts` while it checks its own spec; this module never looks at XML or JSON.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::date::{Stamp, Zone};
use super::options::Options;
use super::rules::Rule;
use super::sink::Sink;
use super::{iri, language};
use vnfeed_vietnamese::dateline::feed_offset;

/// How far ahead of "now" a date may be before it counts as in the future: clocks drift.
const CLOCK_SKEW: Duration = Duration::minutes(10);

/// One item (RSS item, Atom entry, JSON Feed item) as the shared rules see it.
#[derive(Debug, Default)]
pub struct Item {
    /// Byte offset of the item itself.
    pub at: usize,
    /// The guid / id and where its value is.
    pub id: Option<(usize, String)>,
    pub link: Option<String>,
    pub title: Option<String>,
    /// The date readers sort by (pubDate, published or updated, date_published).
    pub date: Option<DateTime<Utc>>,
    /// Atom only: entries may repeat an id at different `updated` times.
    pub updated: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct Facts {
    /// Byte offset of the feed element / object: where feed-level findings point.
    pub root: usize,
    pub language: Option<String>,
    /// How to say the language in this format, for the missing-language message.
    pub language_hint: &'static str,
    pub self_links: Vec<(usize, String)>,
    pub self_hint: &'static str,
    pub dates: Vec<(usize, Stamp)>,
    pub items: Vec<Item>,
    /// RSS guids and JSON Feed ids must be unique; an Atom id may repeat (RFC 4287 4.1.1:
    /// not with the same updated, a SHOULD), so there a repeat is a warning.
    pub ids_may_repeat: bool,
}

impl Facts {
    /// Records a valid date for the shared date rules; one whose zone is "unknown"
    /// (`-0000`, `-00:00`, a military letter) is reported here, whatever the format.
    pub fn date(&mut self, at: usize, stamp: Stamp, what: &str, sink: &mut Sink<'_>) {
        if stamp.zone == Zone::Unknown {
            sink.at(
                at,
                Rule::DateNoZone,
                format!("{what} says its zone is unknown: write the real offset (+0700 / +07:00)"),
            );
        }
        self.dates.push((at, stamp));
    }
}

pub fn check(facts: &Facts, options: &Options, sink: &mut Sink<'_>) {
    if facts.language.is_none() {
        sink.at(
            facts.root,
            Rule::MissingLanguage,
            format!(
                "the feed does not say its language: {}",
                facts.language_hint
            ),
        );
    }
    self_link(facts, options, sink);
    identity(facts, sink);
    dates(facts, options, sink);
}

fn self_link(facts: &Facts, options: &Options, sink: &mut Sink<'_>) {
    let Some((at, href)) = facts.self_links.first() else {
        sink.at(
            facts.root,
            Rule::MissingSelfLink,
            format!("no self link: {}", facts.self_hint),
        );
        return;
    };
    if let Some(location) = &options.location
        && !iri::same_resource(href, location)
    {
        sink.at(
            *at,
            Rule::SelfLinkMismatch,
            format!("the self link is {href} but the feed was fetched from {location}"),
        );
    }
}

fn identity(facts: &Facts, sink: &mut Sink<'_>) {
    if every_id_the_same(facts, sink) {
        return;
    }
    let mut ids: HashMap<&str, &Item> = HashMap::new();
    let mut links: HashMap<&str, &Item> = HashMap::new();
    let mut titled: HashMap<(&str, DateTime<Utc>), &Item> = HashMap::new();
    for item in &facts.items {
        if let Some((at, id)) = &item.id {
            if let Some(why) = unstable(id, item.title.as_deref()) {
                sink.at(*at, Rule::UnstableGuid, why);
            }
            if let Some(first) = ids.get(id.as_str()) {
                let line = sink.line_of(first.at);
                match (first.updated, item.updated) {
                    (Some(a), Some(b)) if a != b => sink.at(
                        *at,
                        Rule::DuplicateItem,
                        format!(
                            "`{id}` is also the id of the entry at line {line}, updated at another \
                             time: readers keep only one of them"
                        ),
                    ),
                    _ if facts.ids_may_repeat => sink.at(
                        *at,
                        Rule::DuplicateItem,
                        format!(
                            "`{id}` is also the id of the entry at line {line}, with the same \
                             updated time: RFC 4287 says an id SHOULD NOT repeat so"
                        ),
                    ),
                    _ => sink.at(
                        *at,
                        Rule::DuplicateId,
                        format!("`{id}` is also the id of the item at line {line}"),
                    ),
                }
                continue;
            }
            ids.insert(id, item);
        }
        if let Some(link) = item.link.as_deref().filter(|l| !l.is_empty()) {
            if let Some(first) = links.get(link) {
                let line = sink.line_of(first.at);
                sink.at(
                    item.at,
                    Rule::DuplicateItem,
                    format!("same link as the item at line {line} ({link}) under another id"),
                );
                continue;
            }
            links.insert(link, item);
        }
        if let (Some(title), Some(date)) = (item.title.as_deref(), item.date) {
            if let Some(first) = titled.get(&(title, date)) {
                let line = sink.line_of(first.at);
                sink.at(
                    item.at,
                    Rule::DuplicateItem,
                    format!("same title and date as the item at line {line} under another id"),
                );
                continue;
            }
            titled.insert((title, date), item);
        }
    }
}

/// W3C's DuplicateIds: more than 9 Atom entries that all carry one id are a generator
/// writing a constant into every entry, and readers keep one entry of them all. One error
/// then says it all, instead of a duplicate-item warning per entry.
fn every_id_the_same(facts: &Facts, sink: &mut Sink<'_>) -> bool {
    let ids: Vec<&(usize, String)> = facts.items.iter().filter_map(|i| i.id.as_ref()).collect();
    let same = facts.ids_may_repeat
        && ids.len() > 9
        && ids.len() == facts.items.len()
        && ids.iter().all(|(_, id)| *id == ids[0].1);
    if same {
        sink.at(
            ids[1].0,
            Rule::DuplicateId,
            format!(
                "all {} entries have the id {}: each entry needs its own, or readers keep only one",
                ids.len(),
                ids[0].1
            ),
        );
    }
    same
}

/// Query parameters that differ from one fetch or visitor to the next.
const VOLATILE_PARAMETERS: &[&str] = &[
    "sid",
    "sessionid",
    "session_id",
    "phpsessid",
    "jsessionid",
    "fbclid",
    "gclid",
    "ts",
    "timestamp",
    "cachebuster",
    "nocache",
    "rand",
    "random",
    "_",
];

/// Why an item id will not stay the same, if it looks that way.
fn unstable(id: &str, title: Option<&str>) -> Option<String> {
    let id = id.trim();
    if id.is_empty() {
        return Some("the id is empty".into());
    }
    if id.len() <= 6 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!(
            "`{id}` is a small number, not unique beyond this feed (W3C: not sufficiently unique)"
        ));
    }
    if title.is_some_and(|t| t.trim() == id) {
        return Some("the id is the title, which editors change".into());
    }
    if id.to_ascii_lowercase().contains(";jsessionid=") {
        return Some("the id carries a session id (;jsessionid=)".into());
    }
    let query = id.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let key = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
        (key.starts_with("utm_") || VOLATILE_PARAMETERS.contains(&key.as_str())).then(|| {
            format!("the id carries `{key}`, a tracking or session parameter that changes")
        })
    })
}

fn dates(facts: &Facts, options: &Options, sink: &mut Sink<'_>) {
    let horizon = options.now + CLOCK_SKEW;
    for (at, stamp) in &facts.dates {
        if stamp.instant > horizon {
            sink.at(
                *at,
                Rule::DateFuture,
                format!(
                    "{} is {} in the future",
                    stamp.instant.format("%Y-%m-%dT%H:%M:%SZ"),
                    human(stamp.instant - options.now)
                ),
            );
        }
    }
    local_time_as_gmt(facts, options, sink);
}

/// A Vietnam local time labelled GMT (or UTC, Z, +0000) is 7 hours off, and the zone alone
/// cannot tell it from a true UTC time. The heuristic, in a document that is Vietnamese
/// (its language is `vi`, or some of its dates carry Vietnam's offset for their instant):
/// 1. if some dates carry Vietnam's offset, every UTC-labelled date is suspect: one
///    generator writes one zone, and a second zone is most often a local time mislabelled;
/// 2. otherwise (all dates UTC, language `vi`), a date is suspect when it lies in the
///    future as UTC but not once read as Vietnam time, the sign of a fresh local time.
///
/// Instants before 1911-05-01, when Vietnam's offset had seconds RFC 822 cannot carry
/// (vnfeed itself writes them in UTC), are never suspect.
fn local_time_as_gmt(facts: &Facts, options: &Options, sink: &mut Sink<'_>) {
    let vietnam_offsets = facts
        .dates
        .iter()
        .any(|(_, s)| matches!(s.zone, Zone::Offset(o) if o == feed_offset(s.instant)));
    let vietnamese = vietnam_offsets
        || facts
            .language
            .as_deref()
            .is_some_and(language::is_vietnamese);
    if !vietnamese {
        return;
    }
    let horizon = options.now + CLOCK_SKEW;
    for (at, stamp) in &facts.dates {
        let offset = feed_offset(stamp.instant);
        if stamp.zone != Zone::Utc || offset == 0 {
            continue;
        }
        let hours = offset as f64 / 3600.0;
        if vietnam_offsets {
            sink.at(
                *at,
                Rule::LocalTimeAsGmt,
                format!(
                    "this date is labelled GMT/UTC while the feed's other dates carry Vietnam's \
                     offset (+{hours}h): if it is a Vietnam local time it is {hours} hours late"
                ),
            );
        } else if stamp.instant > horizon
            && stamp.instant - Duration::seconds(offset as i64) <= horizon
        {
            sink.at(
                *at,
                Rule::LocalTimeAsGmt,
                format!(
                    "this date is in the future as GMT but not as Vietnam time (+{hours}h): \
                     a Vietnam local time labelled GMT?"
                ),
            );
        }
    }
}

fn human(d: Duration) -> String {
    let minutes = d.num_minutes();
    match minutes {
        m if m < 120 => format!("{m} minutes"),
        m if m < 48 * 60 => format!("{} hours", m / 60),
        m => format!("{} days", m / (24 * 60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_ids() {
        assert!(unstable("42", None).unwrap().contains("small number"));
        assert!(
            unstable("Tin nóng", Some("Tin nóng"))
                .unwrap()
                .contains("title")
        );
        assert!(
            unstable("https://a.example/b?id=1&utm_source=rss", None)
                .unwrap()
                .contains("utm_source")
        );
        assert!(unstable("https://a.example/b;jsessionid=AB12", None).is_some());
        assert!(unstable("https://a.example/b?_=1714000000", None).is_some());
        assert_eq!(
            unstable("urn:uuid:a5ff7a87-fb6f-5fd1-809e-f845834e2284", None),
            None
        );
        assert_eq!(
            unstable("https://a.example/bai-viet?id=1234567", None),
            None
        );
        assert_eq!(unstable("1234567", None), None);
    }
}
