//! OPML 2.0 subscription list (`/feeds.opml`) with the `opml` crate: every feed in every
//! format, titled in Vietnamese, grouped by format so a reader can import one group and get
//! every category at once.

use opml::{Body, Head, OPML, Outline};

use super::view::Site;
use crate::feeds::FeedSet;
use crate::model::Format;

pub const CONTENT_TYPE: &str = "text/x-opml; charset=utf-8";

pub fn render(site: &Site, feeds: &FeedSet) -> Vec<u8> {
    let groups = Format::ALL
        .into_iter()
        .map(|format| Outline {
            text: format.label().to_string(),
            title: Some(format.label().to_string()),
            outlines: feeds
                .feeds()
                .map(|feed| Outline {
                    text: feed.title.clone(),
                    title: Some(feed.title.clone()),
                    // Readers expect "rss" for every feed type in a subscription list.
                    r#type: Some("rss".into()),
                    xml_url: Some(site.feed_url(&feed.slug, format)),
                    html_url: Some(site.category_url(&feed.slug)),
                    description: Some(feed.description.clone()),
                    language: Some("vi".into()),
                    version: (format == Format::Rss).then(|| "RSS2".to_string()),
                    ..Outline::default()
                })
                .collect(),
            ..Outline::default()
        })
        .collect();
    let document = OPML {
        version: "2.0".into(),
        head: Some(Head {
            title: Some(format!("{} – nguồn tin", site.title)),
            docs: Some("http://opml.org/spec2.opml".into()),
            ..Head::default()
        }),
        body: Body { outlines: groups },
    };
    let xml = document
        .to_string()
        .expect("an outline of plain strings serializes");
    let mut out = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n".to_vec();
    out.extend_from_slice(xml.as_bytes());
    out.push(b'\n');
    out
}
