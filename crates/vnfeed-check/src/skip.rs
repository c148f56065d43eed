//! RSS `skipHours` and `skipDays`: the hours (0 to 23, GMT) and days when aggregators may
//! skip reading the feed. A wrong value makes a reader skip the wrong time, or every time.

use roxmltree::Node;

use super::rules::Rule;
use super::sink::Sink;
use super::xml::{self, children, text, value_at};

const DAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

pub fn hours(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    // 24 and 0 are the same hour, midnight.
    let hour = |v: &str| {
        v.parse::<u8>()
            .map_or(v.to_string(), |h| (h % 24).to_string())
    };
    let values = list(node, "hour", hour, sink);
    for (at, value) in values {
        // 24 is the old spelling of midnight, which W3C only warns about.
        if !value.parse::<u8>().is_ok_and(|h| h <= 24) || value.starts_with('+') {
            sink.at(
                at,
                Rule::RssSkip,
                format!("<hour> is a whole hour from 0 to 23 (GMT), not \"{value}\""),
            );
        }
    }
}

pub fn days(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    let values = list(node, "day", str::to_string, sink);
    if values.len() > DAYS.len() {
        sink.at(
            node.range().start,
            Rule::RssSkip,
            format!("<skipDays> lists {} days: a week has seven", values.len()),
        );
    }
    for (at, value) in values {
        if !DAYS.contains(&value.as_str()) {
            sink.at(
                at,
                Rule::RssSkip,
                format!("<day> is an English day name from Monday to Sunday, not \"{value}\""),
            );
        }
    }
}

/// The values of the `child` elements, each reported when it repeats (`same` gives the
/// value two spellings share); unknown elements and an empty list are reported too.
fn list(
    node: Node<'_, '_>,
    child: &str,
    same: impl Fn(&str) -> String,
    sink: &mut Sink<'_>,
) -> Vec<(usize, String)> {
    let name = node.tag_name().name();
    xml::unknown_children(node, None, &[child], &format!("<{name}>"), sink);
    let mut values: Vec<(usize, String)> = Vec::new();
    for c in children(node, None, child) {
        let value = text(c);
        if values.iter().any(|(_, v)| same(v) == same(&value)) {
            sink.at(
                value_at(c),
                Rule::RssSkip,
                format!("<{name}> lists \"{value}\" twice"),
            );
        }
        values.push((value_at(c), value));
    }
    if values.is_empty() {
        sink.at(
            node.range().start,
            Rule::RssMissingElement,
            format!("<{name}> has no <{child}>"),
        );
    }
    values
}
