//! The RSS extension modules whose values vnfeed checks beyond `dc:date`: Dublin Core's
//! language, the Syndication module (`sy:`, how often the feed changes), and which
//! elements of these modules, `admin:` and `content:` a channel or item may hold once.

use roxmltree::Node;

use super::date::{self, W3cdtf};
use super::language;
use super::rules::Rule;
use super::sink::Sink;
use super::xml::{self, CONTENT_NS, DC_NS, child, text, value_at};

const SY_NS: &str = "http://purl.org/rss/1.0/modules/syndication/";
const ADMIN_NS: &str = "http://webns.net/mvcb/";

const UPDATE_PERIODS: &[&str] = &["hourly", "daily", "weekly", "monthly", "yearly"];

/// Extension elements a channel or an item holds at most once, by namespace.
const ONCE: &[(&str, &str, &[&str])] = &[
    (DC_NS, "dc:", &["date", "language", "rights"]),
    (
        SY_NS,
        "sy:",
        &["updatePeriod", "updateFrequency", "updateBase"],
    ),
    (ADMIN_NS, "admin:", &["errorReportsTo", "generatorAgent"]),
    (CONTENT_NS, "content:", &["encoded"]),
];

pub fn channel(channel: Node<'_, '_>, sink: &mut Sink<'_>) {
    once(channel, "<channel>", sink);
    if let Some(lang) = child(channel, Some(DC_NS), "language")
        && let Err(why) = language::check(&text(lang))
    {
        sink.at(
            value_at(lang),
            Rule::InvalidLanguage,
            format!("<dc:language>: {why}"),
        );
    }
    if let Some(period) = child(channel, Some(SY_NS), "updatePeriod") {
        let value = text(period);
        if !UPDATE_PERIODS.contains(&value.as_str()) {
            sink.at(
                value_at(period),
                Rule::RssSyndication,
                format!(
                    "<sy:updatePeriod> is hourly, daily, weekly, monthly or yearly, not \"{value}\""
                ),
            );
        }
    }
    if let Some(frequency) = child(channel, Some(SY_NS), "updateFrequency") {
        let value = text(frequency);
        if !value.parse::<u32>().is_ok_and(|n| n > 0) {
            sink.at(
                value_at(frequency),
                Rule::RssInteger,
                format!("<sy:updateFrequency> is a positive whole number, not \"{value}\""),
            );
        }
    }
    if let Some(base) = child(channel, Some(SY_NS), "updateBase") {
        let value = text(base);
        if let Err(why) = date::w3cdtf(&value).map(|_: W3cdtf| ()) {
            sink.at(
                value_at(base),
                Rule::DateW3cdtf,
                format!("<sy:updateBase>: {why}"),
            );
        }
    }
}

pub fn item(item: Node<'_, '_>, sink: &mut Sink<'_>) {
    once(item, "<item>", sink);
}

fn once(parent: Node<'_, '_>, label: &str, sink: &mut Sink<'_>) {
    for (ns, _, names) in ONCE {
        xml::once(parent, Some(ns), names, &[], label, sink);
    }
}
