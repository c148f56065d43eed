//! HTML pages for people, from the askama templates in `templates/`: the index (categories
//! with their feed links, the latest articles), a page per feed (its latest articles) and a
//! page per article. Every page has autodiscovery links for RSS, Atom and JSON Feed; article
//! pages a canonical link. Dates are shown the Vietnamese way, in Vietnam time.

use askama::Template;
use chrono::{DateTime, Utc};

use super::view::Site;
use crate::feeds::{FeedDef, FeedSet};
use crate::model::{Article, Block, Format};
use crate::vietnamese::dateline::{human_vi, rfc3339};

pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The pages' only stylesheet, inlined in every `<head>` (one request less per page). The
/// Content-Security-Policy allows exactly this text, by its hash: see [`style_hash`].
pub const STYLE: &str = include_str!("../../templates/style.css");

/// The CSP source that allows the inline [`STYLE`] and nothing else: `'sha256-…'`.
pub fn style_hash() -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(STYLE.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Articles listed on the index page.
const INDEX_LATEST: usize = 10;

/// What the `<head>` of every page says.
struct Head<'a> {
    site: &'a Site,
    title: String,
    canonical: Option<String>,
    alternates: Vec<FeedLink>,
    opml: bool,
    style: &'static str,
    /// The site's favicon (PNG), and its SVG icon when it has one.
    favicon: String,
    svg_icon: Option<String>,
    /// The index's `<meta name="description">`: the site file's description.
    description: Option<String>,
}

/// A feed in one format, as a link.
struct FeedLink {
    mime: &'static str,
    label: &'static str,
    title: String,
    href: String,
}

/// A feed as pages show it: its title, page and feed links.
struct Section {
    title: String,
    description: String,
    href: String,
    links: Vec<FeedLink>,
}

/// An instant for people and for machines (`<time datetime>`).
struct When {
    human: String,
    iso: String,
}

impl When {
    fn new(t: DateTime<Utc>) -> When {
        When {
            human: human_vi(t),
            iso: rfc3339(t),
        }
    }
}

/// A name linking to its page (an author's, a tag's).
struct Named {
    name: String,
    href: String,
}

/// An article in a list.
struct Card {
    title: String,
    href: String,
    human: String,
    iso: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    head: Head<'a>,
    sections: Vec<Section>,
    latest: Vec<Card>,
}

#[derive(Template)]
#[template(path = "category.html")]
struct CategoryPage<'a> {
    head: Head<'a>,
    section: Section,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage<'a> {
    head: Head<'a>,
    sections: Vec<Section>,
    title: &'a str,
    published: When,
    /// Shown only when the article was edited after publication.
    updated: Option<When>,
    /// The author, linked to their page when the name has a slug.
    author: Option<Named>,
    /// The article's tags, each linked to its page.
    tags: Vec<Named>,
    image: Option<String>,
    /// The summary, unless the body already opens with it.
    summary: &'a str,
    body: String,
}

/// Renders the pages of one site.
pub struct Html<'a> {
    pub site: &'a Site,
    pub feeds: &'a FeedSet,
}

impl Html<'_> {
    fn feed_links(&self, feed: &FeedDef) -> Vec<FeedLink> {
        Format::ALL
            .into_iter()
            .map(|format| FeedLink {
                mime: format.media_type(),
                label: format.label(),
                title: format!("{} – {} ({})", feed.title, self.site.title, format.label()),
                href: self.site.feed_url(&feed.slug, format),
            })
            .collect()
    }

    fn section(&self, feed: &FeedDef) -> Section {
        Section {
            title: feed.title.clone(),
            description: feed.description.clone(),
            href: self.site.category_url(&feed.slug),
            links: self.feed_links(feed),
        }
    }

    /// `name` linked to its page under `/{segment}/` (see `documents::labels`).
    fn named(&self, segment: &str, name: &str) -> Named {
        let slug = crate::vietnamese::slug::slugify(name);
        Named {
            name: name.to_string(),
            href: format!("{}/{segment}/{slug}", self.site.base_url),
        }
    }

    fn card(&self, article: &Article) -> Card {
        Card {
            title: article.title.clone(),
            href: self.site.page_url(&article.slug),
            human: human_vi(article.published),
            iso: rfc3339(article.published),
            summary: article.summary.clone(),
        }
    }

    fn head(&self, title: String, feeds: &[&FeedDef]) -> Head<'_> {
        Head {
            site: self.site,
            title,
            canonical: None,
            alternates: feeds.iter().flat_map(|f| self.feed_links(f)).collect(),
            opml: false,
            style: STYLE,
            favicon: self.site.absolute(&self.site.images.favicon.url),
            svg_icon: self
                .site
                .images
                .svg
                .as_ref()
                .map(|i| self.site.absolute(&i.url)),
            description: None,
        }
    }

    /// The index: every category with its feed links, then the newest of `all`.
    pub fn index(&self, latest: &[Article]) -> Vec<u8> {
        let feeds: Vec<&FeedDef> = self.feeds.feeds().collect();
        let mut head = self.head(self.site.title.clone(), &feeds);
        head.opml = true;
        head.description = self.site.description.clone();
        let page = IndexPage {
            head,
            sections: feeds.iter().map(|f| self.section(f)).collect(),
            latest: latest
                .iter()
                .take(INDEX_LATEST)
                .map(|a| self.card(a))
                .collect(),
        };
        finish(page.render())
    }

    /// A feed's page: its newest articles, newest first.
    pub fn category(&self, feed: &FeedDef, articles: &[Article]) -> Vec<u8> {
        let page = CategoryPage {
            head: self.head(format!("{} – {}", feed.title, self.site.title), &[feed]),
            section: self.section(feed),
            cards: articles.iter().map(|a| self.card(a)).collect(),
        };
        finish(page.render())
    }

    pub fn article(&self, article: &Article) -> Vec<u8> {
        let categories: Vec<&FeedDef> = article
            .categories
            .iter()
            .filter_map(|c| self.feeds.category(c))
            .collect();
        let mut head = self.head(
            format!("{} – {}", article.title, self.site.title),
            &categories,
        );
        head.canonical = Some(self.site.article_url(article));
        let opens_with_summary = matches!(
            article.body.first(),
            Some(Block::Paragraph { text }) if *text == article.summary
        );
        let page = ArticlePage {
            head,
            sections: categories.iter().map(|f| self.section(f)).collect(),
            title: &article.title,
            published: When::new(article.published),
            updated: (article.updated > article.published).then(|| When::new(article.updated)),
            author: article
                .author
                .as_ref()
                .map(|name| self.named("authors", name)),
            tags: article
                .tags
                .iter()
                .map(|name| self.named("tags", name))
                .collect(),
            image: article.image.as_ref().map(|i| self.site.absolute(&i.url)),
            summary: if opens_with_summary {
                ""
            } else {
                &article.summary
            },
            body: super::body::html_at(&article.body, &self.site.article_url(article)),
        };
        finish(page.render())
    }
}

fn finish(rendered: askama::Result<String>) -> Vec<u8> {
    // The templates only format fields that are already strings: rendering cannot fail.
    let mut out = rendered
        .expect("templates render plain fields")
        .into_bytes();
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    out
}
