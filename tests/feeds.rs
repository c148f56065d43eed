//! Rendered feeds read back by independent parsers (`rss`, `atom_syndication`, feed-rs) and
//! checked field by field; well-formedness by roxmltree; timestamps as exact strings.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use common::*;
use vnfeed::feeds::FeedSet;
use vnfeed::import;
use vnfeed::model::Format;
use vnfeed::render::{self, Site};
use vnfeed::store::Store;

on_both_backends!(
    rss_fields_read_back_exactly,
    atom_fields_read_back_exactly,
    feed_rs_reads_both_formats_with_the_same_ids_and_instants,
    hostile_text_yields_well_formed_feeds,
    rendering_is_deterministic,
    every_sample_feed_is_valid_for_every_parser,
);

const SECURITY: &str = "\
Công an xã Hòa Phong ra mắt tổ tự quản về an ninh trật tự

Thứ Hai, 22/04/2024 07:00

Tối qua, Công an xã Hòa Phong ra mắt tổ tự quản gồm mười hai thành viên, phụ trách ba thôn ven sông.

Buổi ra mắt tổ tự quản
Buổi ra mắt tổ tự quản.

Tổ sẽ tuần tra vào ban đêm và tiếp nhận tin báo của người dân qua điện thoại.

Quốc Bảo
";

const PARTY: &str = "\
Chi bộ thôn Đông Yên tổ chức sinh hoạt chuyên đề

23/04/2024 | 08:30

Chi bộ thôn Đông Yên vừa sinh hoạt chuyên đề về nâng cao chất lượng đảng viên trẻ.

Các đảng viên trao đổi về kế hoạch năm tới và phân công người kèm cặp quần chúng ưu tú.
";

async fn store_with(backend: &Backend, files: &[(&str, &[u8])]) -> (Arc<dyn Store>, FeedSet) {
    let store = backend.open().await;
    let feeds = feeds();
    let src = write_files(backend.path(), "in", files);
    let now: DateTime<Utc> = "2026-11-20T03:00:00Z".parse().unwrap();
    let report = import::import_paths(store.as_ref(), &feeds, &[src], now).await;
    assert!(report.is_success(), "{:?}", report.failed);
    (store, feeds)
}

async fn render_feed(store: &dyn Store, feeds: &FeedSet, slug: &str, format: Format) -> Vec<u8> {
    let site = Site::new("https://tin.example/vn", "Báo Thử");
    let feed = feeds.feeds().find(|f| f.slug == slug).unwrap().clone();
    let content = FeedContent::load(store, &feed, 50).await.unwrap();
    render::feed(&content.view(&site, &feed, feeds), format)
}

async fn rss_fields_read_back_exactly(backend: Backend) {
    let (store, feeds) = store_with(
        &backend,
        &[
            ("an-ninh-01.txt", SECURITY.as_bytes()),
            ("dang-01.txt", PARTY.as_bytes()),
        ],
    )
    .await;
    let bytes = render_feed(store.as_ref(), &feeds, "security", Format::Rss).await;
    assert_well_formed(&bytes);
    let channel = rss::Channel::read_from(&bytes[..]).unwrap();
    assert_eq!(channel.title(), "An ninh – Báo Thử");
    assert_eq!(channel.link(), "https://tin.example/vn/");
    assert_eq!(channel.language(), Some("vi"));
    // The site default (`--feed-ttl`, 5 minutes), the time `Cache-Control: max-age` says.
    assert_eq!(channel.ttl(), Some("5"));
    assert_eq!(
        channel.last_build_date(),
        Some("Mon, 22 Apr 2024 07:00:00 +0700")
    );
    assert!(channel.generator().unwrap().starts_with("vnfeed "));
    let self_link = &channel.atom_ext().unwrap().links()[0];
    assert_eq!(self_link.rel(), "self");
    assert_eq!(
        self_link.href(),
        "https://tin.example/vn/feeds/security.rss"
    );
    assert_eq!(
        channel.items().len(),
        1,
        "the party article is not a security article"
    );
    let item = &channel.items()[0];
    assert_eq!(
        item.title(),
        Some("Công an xã Hòa Phong ra mắt tổ tự quản về an ninh trật tự")
    );
    assert_eq!(
        item.link(),
        Some(
            "https://tin.example/vn/articles/cong-an-xa-hoa-phong-ra-mat-to-tu-quan-ve-an-ninh-trat-tu"
        )
    );
    assert_eq!(item.pub_date(), Some("Mon, 22 Apr 2024 07:00:00 +0700"));
    let guid = item.guid().unwrap();
    assert!(
        !guid.is_permalink(),
        "no URL of its own: the GUID is not a permalink"
    );
    assert_eq!(guid.value(), vnfeed::model::article_guid("an-ninh-01"));
    assert!(guid.value().starts_with("urn:uuid:"));
    assert_eq!(
        item.description(),
        Some(
            "Tối qua, Công an xã Hòa Phong ra mắt tổ tự quản gồm mười hai thành viên, phụ trách ba thôn ven sông."
        )
    );
    let content = item.content().unwrap();
    assert_eq!(
        content.matches("Buổi ra mắt tổ tự quản").count(),
        1,
        "caption shown once"
    );
    assert!(content.contains("<figure><figcaption>Buổi ra mắt tổ tự quản.</figcaption></figure>"));
    assert!(content.starts_with("<p>Tối qua"));
    let categories: Vec<&str> = item.categories().iter().map(|c| c.name()).collect();
    assert_eq!(categories, vec!["An ninh"]);
    assert_eq!(
        item.dublin_core_ext().unwrap().creators(),
        ["Quốc Bảo".to_string()]
    );
}

async fn atom_fields_read_back_exactly(backend: Backend) {
    let (store, feeds) = store_with(
        &backend,
        &[
            ("an-ninh-01.txt", SECURITY.as_bytes()),
            ("dang-01.txt", PARTY.as_bytes()),
        ],
    )
    .await;
    let bytes = render_feed(store.as_ref(), &feeds, "all", Format::Atom).await;
    assert_well_formed(&bytes);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains("<updated>2024-04-23T08:30:00+07:00</updated>"),
        "{text}"
    );
    assert!(text.contains("xml:lang=\"vi\""));
    let feed = atom_syndication::Feed::read_from(&bytes[..]).unwrap();
    assert_eq!(feed.title().as_str(), "Tất cả bài viết – Báo Thử");
    assert_eq!(feed.id(), vnfeed::model::feed_guid("all"));
    assert_eq!(feed.updated().to_rfc3339(), "2024-04-23T08:30:00+07:00");
    assert_eq!(feed.lang(), Some("vi"));
    let rels: Vec<(&str, &str)> = feed.links().iter().map(|l| (l.rel(), l.href())).collect();
    assert_eq!(
        rels,
        vec![
            ("self", "https://tin.example/vn/feeds/all.atom"),
            ("alternate", "https://tin.example/vn/categories/all")
        ]
    );
    let entries = feed.entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0].title().as_str(),
        "Chi bộ thôn Đông Yên tổ chức sinh hoạt chuyên đề",
        "newest first"
    );
    let e = &entries[1];
    assert_eq!(e.id(), vnfeed::model::article_guid("an-ninh-01"));
    assert_eq!(
        e.published().unwrap().to_rfc3339(),
        "2024-04-22T07:00:00+07:00"
    );
    assert_eq!(e.updated().to_rfc3339(), "2024-04-22T07:00:00+07:00");
    assert_eq!(e.authors()[0].name(), "Quốc Bảo");
    let cats: Vec<(&str, Option<&str>)> = e
        .categories()
        .iter()
        .map(|c| (c.term(), c.label()))
        .collect();
    assert_eq!(cats, vec![("security", Some("An ninh"))]);
    assert_eq!(e.content().unwrap().content_type(), Some("html"));
    assert_eq!(e.links()[0].rel(), "alternate");
    let party = &entries[0];
    assert_eq!(
        party.authors()[0].name(),
        "Báo Thử",
        "no author line: the site stands in"
    );
    let cats: Vec<&str> = party.categories().iter().map(|c| c.term()).collect();
    assert_eq!(cats, vec!["party-affairs"]);
}

async fn feed_rs_reads_both_formats_with_the_same_ids_and_instants(backend: Backend) {
    let (store, feeds) = store_with(&backend, &[("an-ninh-01.txt", SECURITY.as_bytes())]).await;
    for format in Format::ALL {
        let bytes = render_feed(store.as_ref(), &feeds, "security", format).await;
        let parsed = feed_rs::parser::parse(&bytes[..]).unwrap();
        assert_eq!(parsed.entries.len(), 1);
        let e = &parsed.entries[0];
        assert_eq!(
            e.id,
            vnfeed::model::article_guid("an-ninh-01"),
            "{format:?}"
        );
        assert_eq!(
            e.published.unwrap().to_rfc3339(),
            "2024-04-22T00:00:00+00:00",
            "{format:?}"
        );
        assert_eq!(
            e.title.as_ref().unwrap().content,
            "Công an xã Hòa Phong ra mắt tổ tự quản về an ninh trật tự"
        );
        assert_eq!(parsed.language.as_deref(), Some("vi"), "{format:?}");
    }
}

async fn hostile_text_yields_well_formed_feeds(backend: Backend) {
    let hostile = std::fs::read(fixture("hostile.txt")).unwrap();
    let (store, feeds) = store_with(&backend, &[("hostile.txt", &hostile)]).await;
    for format in Format::ALL {
        let bytes = render_feed(store.as_ref(), &feeds, "borders", format).await;
        if format == Format::Json {
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("valid JSON");
        } else {
            assert_well_formed(&bytes);
        }
        let parsed = feed_rs::parser::parse(&bytes[..]).unwrap();
        let e = &parsed.entries[0];
        assert_eq!(
            e.title.as_ref().unwrap().content,
            "Đồn Biên phòng <b>&amp; \"quotes\" ]]> -- tăng cường tuần tra biên giới",
            "{format:?}: the title is text, escaped, never markup"
        );
        for forbidden in ['\u{b}', '\u{c}', '\u{7}'] {
            assert!(
                !bytes.contains(&(forbidden as u8)),
                "{format:?} has {forbidden:?}"
            );
        }
    }
    let rss = render_feed(store.as_ref(), &feeds, "borders", Format::Rss).await;
    let channel = rss::Channel::read_from(&rss[..]).unwrap();
    let content = channel.items()[0].content().unwrap();
    assert!(
        content.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{content}"
    );
    assert!(content.contains("]]&gt;"), "{content}");
}

async fn rendering_is_deterministic(backend: Backend) {
    let (store, feeds) = store_with(
        &backend,
        &[
            ("an-ninh-01.txt", SECURITY.as_bytes()),
            ("dang-01.txt", PARTY.as_bytes()),
        ],
    )
    .await;
    for format in Format::ALL {
        let a = render_feed(store.as_ref(), &feeds, "all", format).await;
        let b = render_feed(store.as_ref(), &feeds, "all", format).await;
        assert_eq!(a, b);
    }
}

async fn every_sample_feed_is_valid_for_every_parser(backend: Backend) {
    let store = backend.open().await;
    let feeds = feeds();
    let now: DateTime<Utc> = "2026-11-20T03:00:00Z".parse().unwrap();
    import::import_sources(store.as_ref(), &feeds, &vnfeed::samples::sources(), now).await;
    let slugs: Vec<String> = feeds.feeds().map(|f| f.slug.clone()).collect();
    assert_eq!(slugs, ["all", "borders", "party-affairs", "security"]);
    for slug in &slugs {
        let rss = render_feed(store.as_ref(), &feeds, slug, Format::Rss).await;
        let atom = render_feed(store.as_ref(), &feeds, slug, Format::Atom).await;
        assert_well_formed(&rss);
        assert_well_formed(&atom);
        let channel = rss::Channel::read_from(&rss[..]).unwrap();
        let feed = atom_syndication::Feed::read_from(&atom[..]).unwrap();
        assert_eq!(channel.items().len(), feed.entries().len());
        assert!(!channel.items().is_empty(), "{slug}");
        for (item, entry) in channel.items().iter().zip(feed.entries()) {
            assert_eq!(item.title(), Some(entry.title().as_str()));
            let pub_date = item.pub_date().unwrap();
            assert!(pub_date.ends_with(" +0700"), "{pub_date}");
            let parsed = DateTime::parse_from_rfc2822(pub_date).unwrap();
            assert_eq!(
                parsed,
                *entry.published().unwrap(),
                "{slug}: same instant in both formats"
            );
            assert!(entry.published().unwrap().to_rfc3339().ends_with("+07:00"));
        }
    }
}

/// Nothing backend-specific leaks into a feed: the same sources imported into SQLite and
/// into PostgreSQL render to the same bytes, every feed in every format (ordering, instants,
/// categories, escaping, tombstones).
#[tokio::test]
async fn sqlite_and_postgresql_render_the_same_bytes() {
    let Some(pg) = Backend::postgres("feeds::sqlite_and_postgresql_render_the_same_bytes").await
    else {
        return;
    };
    let sqlite = Backend::sqlite();
    let feeds = feeds();
    let now: DateTime<Utc> = "2026-11-20T03:00:00Z".parse().unwrap();
    let mut renders = Vec::new();
    for backend in [&sqlite, &pg] {
        let store = backend.open().await;
        import::import_sources(store.as_ref(), &feeds, &vnfeed::samples::sources(), now).await;
        let report = import::import_paths(
            store.as_ref(),
            &feeds,
            &[repo().join("tests/fixtures")],
            now,
        )
        .await;
        assert!(report.created > 5, "{report:?}");
        let gone = store.latest(FeedKey::All, 1).await.unwrap()[0].id.clone();
        store.delete(&gone, now).await.unwrap().unwrap();
        let mut bytes = Vec::new();
        for feed in feeds.feeds() {
            for format in Format::ALL {
                bytes.push(render_feed(store.as_ref(), &feeds, &feed.slug, format).await);
            }
        }
        renders.push(bytes);
    }
    assert_eq!(renders[0].len(), feeds.feeds().count() * Format::ALL.len());
    for (lite, pg) in renders[0].iter().zip(&renders[1]) {
        assert_eq!(
            String::from_utf8_lossy(lite),
            String::from_utf8_lossy(pg),
            "SQLite and PostgreSQL render differently"
        );
    }
}
