//! Parsing one article in the text layout the newsrooms send (title, dateline, paragraphs,
//! captions, author): the layout alone, and the whole import step (decode, NFC, classify).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use vnfeed::import::{Source, parse_source, text};
use vnfeed_bench::{fixture, synthetic};

fn parse_articles(c: &mut Criterion) {
    let feeds = fixture::feed_set();
    // One of the repository's own sample articles, and a synthetic one.
    let sample_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/2024-04-24-don-nam-khoan-tuan-tra-moc-quoc-gioi.txt");
    let sample = Source {
        bytes: std::fs::read(&sample_path).expect("the sample article is in the repository"),
        path: sample_path,
    };
    let synthetic = synthetic::article(7, 42);
    let mut group = c.benchmark_group("parse one article");
    for (name, source) in [("sample", &sample), ("synthetic", &synthetic)] {
        let text = String::from_utf8(source.bytes.clone()).expect("UTF-8");
        group.bench_function(format!("{name}: text layout"), |b| {
            b.iter(|| text::parse(black_box(&text)).expect("parses"))
        });
        group.bench_function(format!("{name}: decode, parse, classify"), |b| {
            b.iter(|| parse_source(black_box(source), &feeds).expect("parses"))
        });
    }
    group.finish();
}

criterion_group!(benches, parse_articles);
criterion_main!(benches);
