//! RSS 2.0 with the `rss` crate, plus the `atom` (links: self, history, hub), `content`,
//! `dc`, `media`, `sy` (polling hints, see `polling`) and `fh` (RFC 5005 archives) namespaces.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::syndication::{self, SyndicationExtension, UpdatePeriod};
use rss::extension::{Extension, ExtensionMap};
use rss::{Category, Channel, Enclosure, Guid, Image, Item};

use super::body;
use super::history::Nav;
use super::view::{FeedView, GENERATOR, VERSION};
use crate::model::{Article, Format};
use crate::polling::Period;
use crate::vietnamese::dateline::rfc822;

/// The `sy:updateBase` every feed names: the periods are counted from a round instant.
const UPDATE_BASE: &str = "2000-01-01T00:00+00:00";

pub const FH_NAMESPACE: &str = "http://purl.org/syndication/history/1.0";
pub const MEDIA_NAMESPACE: &str = "http://search.yahoo.com/mrss/";

pub fn render(view: &FeedView<'_>, nav: &Nav) -> Vec<u8> {
    let mut namespaces: BTreeMap<String, String> = [
        ("atom", "http://www.w3.org/2005/Atom"),
        ("content", "http://purl.org/rss/1.0/modules/content/"),
        ("dc", "http://purl.org/dc/elements/1.1/"),
        ("media", MEDIA_NAMESPACE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let slug = &view.feed.slug;
    let mut links = vec![atom_link(
        "self",
        nav.self_url(view.site, slug, Format::Rss),
        Some(Format::Rss.media_type()),
    )];
    for link in nav.links(view.site, slug, Format::Rss) {
        links.push(atom_link(
            link.rel,
            link.href,
            Some(Format::Rss.media_type()),
        ));
    }
    if let (Some(hub), true) = (&view.site.hub, nav.is_subscription()) {
        links.push(atom_link("hub", hub.clone(), None));
    }
    let polling = view.site.polling(view.feed);
    let syndication_ext = polling.period().map(|period| {
        namespaces.insert("sy".into(), syndication::NAMESPACE.into());
        let (period, frequency) = match period {
            Period::Hourly(n) => (UpdatePeriod::Hourly, n),
            Period::Daily(n) => (UpdatePeriod::Daily, n),
        };
        SyndicationExtension {
            period,
            frequency,
            base: UPDATE_BASE.into(),
        }
    });
    let mut extensions = ExtensionMap::default();
    if nav.is_archive() {
        namespaces.insert("fh".into(), FH_NAMESPACE.into());
        extensions.insert("fh".into(), element("fh:archive", BTreeMap::new()));
    }
    let title = view.title();
    let link = view.site.index_url();
    let channel = Channel {
        image: Some(image(view, &title, &link)),
        title,
        link,
        // Readers show a `description` as HTML: plain text goes in escaped.
        description: body::escape_text(view.description()),
        language: Some("vi".into()),
        last_build_date: view.last_updated().map(rfc822),
        generator: Some(format!("{GENERATOR} {VERSION}")),
        // The same time as the documents' `Cache-Control: max-age` (see `polling`).
        ttl: Some(polling.minutes().to_string()),
        syndication_ext,
        items: view.articles.iter().map(|a| item(view, a)).collect(),
        atom_ext: Some(AtomExtension { links }),
        extensions,
        namespaces,
        ..Channel::default()
    };
    let mut out = channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .expect("writing XML to memory cannot fail");
    out.push(b'\n');
    with_declaration(hex_references_in_plain_text(out))
}

/// Elements vnfeed writes as plain text (not HTML).
const PLAIN_TEXT: &[&str] = &["title", "category", "dc:creator"];

/// Rewrites `&amp;` and `&lt;` in plain-text elements as `&#x26;` and `&#x3C;`, as the RSS
/// Best Practices Profile asks: readers that unescape RSS text twice then show `&` and `<`
/// rather than guess at HTML, and the W3C validator gives no CharacterData warning. The
/// `rss` crate has one escaping for all text, so this runs over its output; CDATA sections
/// (the HTML fields) are copied as they are.
fn hex_references_in_plain_text(xml: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(xml).expect("the rss crate writes UTF-8");
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text.as_str();
    let mut plain = false;
    loop {
        let next = rest.find('<').unwrap_or(rest.len());
        let segment = &rest[..next];
        if plain {
            out.push_str(&segment.replace("&amp;", "&#x26;").replace("&lt;", "&#x3C;"));
        } else {
            out.push_str(segment);
        }
        rest = &rest[next..];
        if rest.is_empty() {
            return out.into_bytes();
        }
        let end = if rest.starts_with("<![CDATA[") {
            rest.find("]]>").map_or(rest.len(), |e| e + 3)
        } else {
            rest.find('>').map_or(rest.len(), |e| e + 1)
        };
        let tag = &rest[..end];
        plain = PLAIN_TEXT.iter().any(|name| {
            tag.strip_prefix('<')
                .and_then(|t| t.strip_prefix(name))
                .is_some_and(|t| t.starts_with('>') || t.starts_with(' '))
        });
        out.push_str(tag);
        rest = &rest[end..];
    }
}

/// The largest image width RSS 2.0 allows (and its height's limit is larger still).
const IMAGE_MAX_WIDTH: u32 = 144;

/// The channel's `<image>`: the feed's square icon. Its title and link are the channel's own,
/// as RSS 2.0 says they should be and the W3C validator checks (ImageTitleDoesntMatch,
/// ImageLinkDoesntMatch). The size is given when known, scaled to RSS's largest width.
fn image(view: &FeedView<'_>, title: &str, link: &str) -> Image {
    let icon = view.images().icon;
    let (width, height) = match icon.size {
        Some((w, h)) if w > 0 => {
            let width = w.min(IMAGE_MAX_WIDTH);
            let height = (u64::from(h) * u64::from(width) / u64::from(w)).max(1);
            (Some(width.to_string()), Some(height.to_string()))
        }
        _ => (None, None),
    };
    Image {
        url: icon.url,
        title: title.to_string(),
        link: link.to_string(),
        width,
        height,
        description: None,
    }
}

fn atom_link(rel: &str, href: String, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(Into::into),
        ..Link::default()
    }
}

/// An extension map entry holding one empty element with attributes.
fn element(name: &str, attrs: BTreeMap<String, String>) -> BTreeMap<String, Vec<Extension>> {
    let local = name.split_once(':').map_or(name, |(_, l)| l);
    let ext = Extension {
        name: name.to_string(),
        attrs,
        ..Extension::default()
    };
    BTreeMap::from([(local.to_string(), vec![ext])])
}

fn item(view: &FeedView<'_>, article: &Article) -> Item {
    let link = view.site.article_url(article);
    let guid = match &article.url {
        // A GUID may only claim to be a permalink when it is the article's own URL.
        Some(url) => Guid {
            value: url.clone(),
            permalink: true,
        },
        None => Guid {
            value: article.guid(),
            permalink: false,
        },
    };
    let image = view.image(article);
    // RSS requires both the type and the length of an enclosure; without them it is left out
    // rather than guessed, and `media:content` still names the image.
    let enclosure = image.as_ref().and_then(|i| {
        Some(Enclosure {
            url: i.url.clone(),
            length: i.length?.to_string(),
            mime_type: i.mime_type.clone()?,
        })
    });
    let mut extensions = ExtensionMap::default();
    if let Some(image) = &image {
        let mut attrs = BTreeMap::from([
            ("url".to_string(), image.url.clone()),
            ("medium".to_string(), "image".to_string()),
        ]);
        if let Some(mime) = &image.mime_type {
            attrs.insert("type".into(), mime.clone());
        }
        if let Some(length) = image.length {
            attrs.insert("fileSize".into(), length.to_string());
        }
        extensions.insert("media".into(), element("media:content", attrs));
    }
    Item {
        title: Some(article.title.clone()),
        link: Some(link),
        // The summary is plain text (whatever entities it came from are decoded), and
        // readers show `description` as HTML: escaped, it reads back as the same text.
        description: Some(body::escape_text(&article.summary)),
        guid: Some(guid),
        pub_date: Some(rfc822(article.published)),
        // A summary-only feed has the lead (`description`) and the link, no body.
        content: view
            .full_content()
            .then(|| body::html_at(&article.body, &view.site.article_url(article))),
        enclosure,
        categories: article
            .categories
            .iter()
            .map(|slug| Category {
                name: view.feeds.title_of(slug).to_string(),
                domain: None,
            })
            .collect(),
        dublin_core_ext: article.author.as_ref().map(|author| DublinCoreExtension {
            creators: vec![author.clone()],
            ..DublinCoreExtension::default()
        }),
        extensions,
        ..Item::default()
    }
}

/// The `rss` crate writes no XML declaration; say the encoding outright.
pub(super) fn with_declaration(xml: Vec<u8>) -> Vec<u8> {
    const DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    if xml.starts_with(b"<?xml") {
        return xml;
    }
    let mut out = Vec::with_capacity(DECLARATION.len() + xml.len());
    out.extend_from_slice(DECLARATION);
    out.extend_from_slice(&xml);
    out
}

#[cfg(test)]
mod plain_text_tests {
    use super::hex_references_in_plain_text;

    #[test]
    fn plain_text_elements_use_hex_references_and_html_fields_are_left_alone() {
        let xml = "<rss><channel><title>Lúa &amp; ngô &lt;b&gt;</title>\
                   <description>&lt;p&gt;A &amp; B&lt;/p&gt;</description>\
                   <item><category domain=\"x\">A &amp; B</category>\
                   <content:encoded><![CDATA[<title>&amp;</title>]]></content:encoded>\
                   <dc:creator>Lê &amp; Trần</dc:creator></item></channel></rss>";
        let out = String::from_utf8(hex_references_in_plain_text(xml.as_bytes().to_vec())).unwrap();
        assert!(
            out.contains("<title>Lúa &#x26; ngô &#x3C;b&gt;</title>"),
            "{out}"
        );
        assert!(
            out.contains("<description>&lt;p&gt;A &amp; B&lt;/p&gt;</description>"),
            "{out}"
        );
        assert!(
            out.contains("<category domain=\"x\">A &#x26; B</category>"),
            "{out}"
        );
        assert!(out.contains("<![CDATA[<title>&amp;</title>]]>"), "{out}");
        assert!(
            out.contains("<dc:creator>Lê &#x26; Trần</dc:creator>"),
            "{out}"
        );
        // The text a parser reads back is unchanged.
        let plain = out
            .replace("content:encoded", "encoded")
            .replace("dc:creator", "creator");
        let doc = roxmltree::Document::parse(&plain).unwrap();
        let title = doc.descendants().find(|n| n.has_tag_name("title")).unwrap();
        assert_eq!(title.text(), Some("Lúa & ngô <b>"));
    }
}
