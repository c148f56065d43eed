//! OPML 2.0 subscription lists with the `opml` crate: `/feeds.opml`, every category feed in
//! every format, titled in Vietnamese, grouped by format so a reader can import one group and
//! get every category at once; and the same for authors' and tags' feeds.

use opml::{Body, Head, OPML, Outline};

use super::view::Site;
use crate::feeds::{FeedDef, FeedSet};
use crate::model::Format;

pub const CONTENT_TYPE: &str = "text/x-opml; charset=utf-8";

pub fn render(site: &Site, feeds: &FeedSet) -> Vec<u8> {
    let feeds: Vec<&FeedDef> = feeds.feeds().collect();
    document(site, format!("{} – nguồn tin", site.title), &feeds)
}

/// The subscription list of some authors' or tags' feeds (`/feeds/authors.opml`), laid out
/// as the category list is.
pub fn labels(site: &Site, title: &str, feeds: &[FeedDef]) -> Vec<u8> {
    let feeds: Vec<&FeedDef> = feeds.iter().collect();
    document(site, format!("{} – {title}", site.title), &feeds)
}

fn document(site: &Site, title: String, feeds: &[&FeedDef]) -> Vec<u8> {
    let groups = Format::ALL
        .into_iter()
        .map(|format| Outline {
            text: format.label().to_string(),
            title: Some(format.label().to_string()),
            outlines: feeds
                .iter()
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
            title: Some(title),
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
