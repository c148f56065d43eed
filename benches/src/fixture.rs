//! A feed's worth of synthetic articles, as the renderer sees them, for the micro benches.

use std::io::Write;
use std::path::Path;

use vnfeed::feeds::{FeedDef, FeedSet};
use vnfeed::import::parse_source;
use vnfeed::model::Article;
use vnfeed::render::{FeedView, Site};
use vnfeed::vietnamese::slug::slugify;

use crate::synthetic;

/// The shipped feed definitions (the crate sits one level below the repository root).
pub fn feed_set() -> FeedSet {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds");
    FeedSet::load(&dir).expect("the shipped feed definitions load")
}

/// The `all` feed holding `n` synthetic articles, newest first.
pub struct Feed {
    site: Site,
    feeds: FeedSet,
    feed: FeedDef,
    articles: Vec<Article>,
}

impl Feed {
    pub fn new(n: u64) -> Feed {
        let feeds = feed_set();
        let mut articles: Vec<Article> = (0..n)
            .map(|i| {
                let source = synthetic::article(i, 42);
                let (mut drafts, _) = parse_source(&source, &feeds).expect("synthetic parses");
                let d = drafts.remove(0);
                Article {
                    slug: slugify(&d.title),
                    updated: d.updated.unwrap_or(d.published),
                    id: d.id,
                    title: d.title,
                    summary: d.summary,
                    body: d.body,
                    author: d.author,
                    published: d.published,
                    categories: d.categories,
                    categorized: vnfeed::model::Categorized::ByRules,
                    url: d.url,
                    image: d.image,
                    tags: d.tags,
                }
            })
            .collect();
        articles.reverse();
        Feed {
            site: Site::new("https://tin.example.vn", "Báo Mẫu"),
            feed: feeds.all().clone(),
            feeds,
            articles,
        }
    }

    pub fn view(&self) -> FeedView<'_> {
        FeedView {
            site: &self.site,
            feed: &self.feed,
            feeds: &self.feeds,
            articles: &self.articles,
            tombstones: &[],
        }
    }
}

/// brotli at any quality, for comparing against the one the cache uses.
pub fn brotli_at(body: &[u8], quality: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin: 22,
        size_hint: body.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).expect("in memory");
    out
}

/// What each coding and level makes of `body`, so speed can be weighed against size.
pub fn print_sizes(body: &[u8]) {
    let mut gzip6 = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gzip6.write_all(body).expect("in memory");
    let gzip6 = gzip6.finish().expect("in memory");
    println!("sizes of the 50-item RSS feed: identity {} B", body.len());
    println!(
        "  gzip 6 {} B, gzip 9 {} B",
        gzip6.len(),
        vnfeed::http::representation::gzip(body).len()
    );
    for quality in [5, 7, 9, 11] {
        println!("  brotli {quality}: {} B", brotli_at(body, quality).len());
    }
}
