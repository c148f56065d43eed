//! What the fuzz targets share: the shipped feed definitions and the check that drafts
//! render to feeds a strict XML parser accepts.

use std::sync::OnceLock;

use vnfeed::feeds::FeedSet;
use vnfeed::model::{Article, Draft, Format};
use vnfeed::render::{self, FeedView, Site};

pub fn feeds() -> &'static FeedSet {
    static FEEDS: OnceLock<FeedSet> = OnceLock::new();
    FEEDS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds");
        FeedSet::load(&dir).expect("the shipped feed definitions load")
    })
}

pub fn assert_renders(drafts: Vec<Draft>) {
    let articles: Vec<Article> = drafts
        .into_iter()
        .enumerate()
        .map(|(n, d)| d.into_article(format!("bai-{n}")))
        .collect();
    let site = Site::new("https://tin.example", "Báo Thử");
    // `all` holds every article; the category feeds render the same entries.
    let view = FeedView {
        site: &site,
        feed: feeds().all(),
        feeds: feeds(),
        articles: &articles,
        tombstones: &[],
    };
    for format in Format::ALL {
        let bytes = render::feed(&view, format);
        let text = std::str::from_utf8(&bytes).expect("feeds are UTF-8");
        let checked = match format {
            Format::Json => serde_json::from_str::<serde_json::Value>(text).err().map(|e| e.to_string()),
            Format::Rss | Format::Atom => roxmltree::Document::parse(text).err().map(|e| e.to_string()),
        };
        if let Some(e) = checked {
            panic!("{format:?} is not well-formed: {e}\n{text}");
        }
    }
}
