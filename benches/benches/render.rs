//! Rendering one 50-item feed in each format, and compressing it in each coding at the
//! levels worth considering (the cache compresses once per change, but a write waits for it).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vnfeed::http::representation as cache;
use vnfeed::model::Format;
use vnfeed::render;
use vnfeed_bench::fixture;

fn render_feeds(c: &mut Criterion) {
    let fixture = fixture::Feed::new(50);
    let mut group = c.benchmark_group("render 50 items");
    for format in Format::ALL {
        let view = fixture.view();
        let size = render::feed(&view, format).len();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format.extension(), |b| {
            b.iter(|| render::feed(black_box(&view), format))
        });
    }
    group.finish();

    let body = render::feed(&fixture.view(), Format::Rss);
    let mut group = c.benchmark_group("compress the 50-item RSS feed");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sample_size(20);
    group.bench_function("gzip 9 (served)", |b| {
        b.iter(|| cache::gzip(black_box(&body)))
    });
    group.bench_function(format!("brotli {} (served)", cache::BROTLI_QUALITY), |b| {
        b.iter(|| cache::brotli(black_box(&body)))
    });
    for quality in [7, 9, 11] {
        group.bench_function(format!("brotli {quality}"), |b| {
            b.iter(|| fixture::brotli_at(black_box(&body), quality))
        });
    }
    group.finish();
    fixture::print_sizes(&body);
}

criterion_group!(benches, render_feeds);
criterion_main!(benches);
