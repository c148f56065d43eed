//! The values of extension vocabularies the W3C validator knows, in RSS channels and items
//! and in Atom feeds and entries: geographic coordinates (W3C Basic Geo, GeoURL, ICBM), the
//! links of blogChannel, Creative Commons and TrackBack, and Slash's hit parade. Elements
//! of a vocabulary vnfeed does not know are left alone, as extensions should be.

use roxmltree::Node;

use super::iri;
use super::rules::Rule;
use super::sink::Sink;
use super::xml::{children, text, value_at};

const GEO_NS: &str = "http://www.w3.org/2003/01/geo/wgs84_pos#";
const GEOURL_NS: &str = "http://geourl.org/rss/module/";
const ICBM_NS: &str = "http://postneo.com/icbm";
const BLOG_CHANNEL_NS: &str = "http://backend.userland.com/blogChannelModule";
const CREATIVE_COMMONS_NS: &str = "http://backend.userland.com/creativeCommonsRssModule";
const TRACKBACK_NS: &str = "http://madskills.com/public/xml/rss/module/trackback/";
const SLASH_NS: &str = "http://purl.org/rss/1.0/modules/slash/";

/// Latitude and longitude elements: (namespace, prefix, local name, the largest magnitude).
const COORDINATES: &[(&str, &str, &str, f64)] = &[
    (GEO_NS, "geo", "lat", 90.0),
    (GEO_NS, "geo", "long", 180.0),
    (GEOURL_NS, "geourl", "latitude", 90.0),
    (GEOURL_NS, "geourl", "longitude", 180.0),
    (ICBM_NS, "icbm", "latitude", 90.0),
    (ICBM_NS, "icbm", "longitude", 180.0),
];

/// blogChannel's links, which only a channel (or an Atom feed) holds.
const BLOG_CHANNEL_LINKS: &[&str] = &["blogRoll", "mySubscriptions", "blink", "changes"];

/// Where an element stands: the vocabularies allow some elements at one level only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// An RSS channel or an Atom feed.
    Feed,
    /// An RSS item or an Atom entry.
    Entry,
}

pub fn check(node: Node<'_, '_>, level: Level, sink: &mut Sink<'_>) {
    coordinates(node, sink);
    for point in children(node, Some(GEO_NS), "Point") {
        coordinates(point, sink);
    }
    for license in children(node, Some(CREATIVE_COMMONS_NS), "license") {
        full_link(license, "creativeCommons", sink);
    }
    for name in ["ping", "about"] {
        for e in children(node, Some(TRACKBACK_NS), name) {
            match level {
                Level::Entry => full_link(e, "trackback", sink),
                Level::Feed => sink.at(
                    e.range().start,
                    Rule::UnknownElement,
                    format!("<trackback:{name}> belongs in an item or entry, not the feed"),
                ),
            }
        }
    }
    if level == Level::Feed {
        for name in BLOG_CHANNEL_LINKS {
            for e in children(node, Some(BLOG_CHANNEL_NS), name) {
                full_link(e, "blogChannel", sink);
            }
        }
    }
    for parade in children(node, Some(SLASH_NS), "hit_parade") {
        let value = text(parade);
        if !comma_separated_integers(&value) {
            sink.at(
                value_at(parade),
                Rule::RssInteger,
                format!("<slash:hit_parade> is whole numbers separated by commas, not \"{value}\""),
            );
        }
    }
}

fn coordinates(node: Node<'_, '_>, sink: &mut Sink<'_>) {
    for (ns, prefix, name, max) in COORDINATES {
        for e in children(node, Some(ns), name) {
            let value = text(e);
            let ok = value
                .parse::<f64>()
                .is_ok_and(|v| v.is_finite() && v.abs() <= *max);
            if !ok {
                sink.at(
                    value_at(e),
                    Rule::GeoCoordinate,
                    format!("<{prefix}:{name}> is a number of degrees from -{max} to {max}, not \"{value}\""),
                );
            }
        }
    }
}

/// An extension element whose text is a full URL (an RDF-style `rdf:resource` attribute
/// is RSS 1.0's way, and leaves the RSS 2.0 element empty).
fn full_link(e: Node<'_, '_>, prefix: &str, sink: &mut Sink<'_>) {
    let name = e.tag_name().name();
    let value = text(e);
    if let Err(why) = iri::absolute(&value) {
        let rdf = e.attributes().any(|a| a.name() == "resource");
        let hint = if rdf {
            " (rdf:resource is RSS 1.0's form: write the URL as the element's text)"
        } else {
            ""
        };
        sink.at(
            value_at(e),
            Rule::InvalidUrl,
            format!("<{prefix}:{name}> must be a full URL: {why}{hint}"),
        );
    }
}

/// Slash's `1,5,12`: whole numbers, a comma (and optional whitespace) between them.
fn comma_separated_integers(value: &str) -> bool {
    let mut parts = value.split(',');
    let first = parts.next().unwrap_or("");
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(first) && parts.all(|p| digits(p.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_parades_are_comma_separated_whole_numbers() {
        assert!(comma_separated_integers("1,5, 12"));
        assert!(!comma_separated_integers("1,george"));
        assert!(!comma_separated_integers(""));
        assert!(!comma_separated_integers("1,"));
    }
}
