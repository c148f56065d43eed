//! Benchmark support for vnfeed: synthetic articles and small measuring tools shared by the
//! scale run (`src/bin/scale.rs`) and the criterion benches (`benches/`).

pub mod fixture;
pub mod probe;
pub mod report;
pub mod synthetic;
