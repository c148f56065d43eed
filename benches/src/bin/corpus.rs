//! Writes synthetic articles in the text layout to a directory, for `vnfeed import`: the
//! HTTP benchmark (`benches/http.sh`) and anyone timing the import path by hand.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use vnfeed_bench::synthetic::{self, Length};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Size {
    Short,
    Seed,
}

#[derive(Debug, Parser)]
#[command(about = "Write synthetic Vietnamese articles in vnfeed's text layout")]
struct Args {
    /// Where the files go (created if missing).
    dir: PathBuf,
    #[arg(long, default_value_t = 1_000)]
    count: u64,
    #[arg(long, default_value_t = 2016)]
    seed: u64,
    /// `seed`: about 4 KB, a real story's size; `short`: about 1.3 KB.
    #[arg(long, value_enum, default_value_t = Size::Seed)]
    size: Size,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let length = match args.size {
        Size::Short => Length::Short,
        Size::Seed => Length::Seed,
    };
    std::fs::create_dir_all(&args.dir)?;
    let mut bytes = 0;
    for n in 0..args.count {
        let source = synthetic::article_of(n, args.seed, length);
        bytes += source.bytes.len();
        std::fs::write(args.dir.join(&source.path), &source.bytes)?;
    }
    println!(
        "{} articles, {} bytes ({} bytes each on average) in {}",
        args.count,
        bytes,
        bytes / args.count.max(1) as usize,
        args.dir.display()
    );
    Ok(())
}
