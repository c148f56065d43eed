//! Checking what one input leads to: the feeds an HTML page announces, every feed of an
//! OPML list, and with `follow`, every page and archive a feed links to (RFC 5005). Bounded
//! in documents checked and in fetches at once; the reports come out in a stable order
//! (breadth first, links in document order) however the fetches interleave.

use std::collections::HashSet;

use tokio::task::JoinSet;
use url::Url;

use super::client::Client;
use super::discover::{self, Kind};
use super::document::check_bytes;
use super::http::{UrlCheck, fetch_and_check};
use super::options::Options;
use super::report::Report;
use super::rules::Rule;

/// How far a check may go beyond its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// Follow each feed's `rel="next"` and `rel="prev-archive"` links.
    pub follow: bool,
    /// The most documents checked for one input.
    pub max_documents: usize,
    /// The most fetches at once.
    pub concurrency: usize,
}

impl Walk {
    /// No following, 50 documents, 4 fetches at once: a site's handful of feeds, or a
    /// small OPML list, in one go, without hammering anyone's server.
    pub const DEFAULT: Walk = Walk {
        follow: false,
        max_documents: 50,
        concurrency: 4,
    };
}

impl Default for Walk {
    fn default() -> Walk {
        Walk::DEFAULT
    }
}

/// The reports for one input, and how many links were left unchecked because of
/// [`Walk::max_documents`].
#[derive(Debug, Clone)]
pub struct Walked {
    pub reports: Vec<Report>,
    pub not_checked: usize,
}

/// Checks `input` (a URL, a file path or `-`) and everything it leads to under `walk`.
pub async fn check_input(client: &Client, input: &str, walk: &Walk, options: &Options) -> Walked {
    let mut walker = Walker {
        client,
        walk,
        options,
        reports: Vec::new(),
        queue: Vec::new(),
        seen: HashSet::new(),
    };
    walker.seen.insert(input.to_string());
    if input.contains("://") {
        let check = fetch_and_check(client, input, options).await;
        walker.start_from_url(input, check);
    } else {
        walker.start_from_file(input);
    }
    walker.run().await
}

struct Walker<'a> {
    client: &'a Client,
    walk: &'a Walk,
    options: &'a Options,
    reports: Vec<Report>,
    /// Every URL to check, in the order found; reports follow this order.
    queue: Vec<Url>,
    seen: HashSet<String>,
}

impl Walker<'_> {
    fn start_from_url(&mut self, input: &str, check: UrlCheck) {
        let body = check.body.as_deref().unwrap_or_default();
        let kind = match check.report.format {
            None if check.body.is_some() => discover::kind(body, check.content_type.as_deref()),
            _ => None,
        };
        let base = check.final_url.as_deref().and_then(|u| Url::parse(u).ok());
        match (kind, base) {
            (Some(Kind::Html), Some(base)) => {
                self.page_feeds(input, discover::alternates(body, &base));
            }
            (Some(Kind::Opml), base) => {
                self.list_feeds(input, discover::opml_feeds(body, base.as_ref()));
            }
            _ => self.checked(check),
        }
    }

    fn start_from_file(&mut self, path: &str) {
        let bytes = match read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.reports.push(Report::failed(
                    path,
                    Rule::Unreadable,
                    format!("cannot read {path}: {e}"),
                ));
                return;
            }
        };
        match discover::kind(&bytes, None) {
            Some(Kind::Opml) => self.list_feeds(path, discover::opml_feeds(&bytes, None)),
            Some(Kind::Html) => {
                let base = file_url(path);
                self.page_feeds(path, discover::alternates(&bytes, &base));
            }
            None => {
                let report = check_bytes(path, &bytes, self.options);
                if self.walk.follow && report.format.is_some() {
                    self.enqueue(discover::older_documents(&bytes, &file_url(path)));
                }
                self.reports.push(report);
            }
        }
    }

    fn page_feeds(&mut self, source: &str, feeds: Vec<Url>) {
        if feeds.is_empty() {
            self.reports.push(Report::failed(
                source,
                Rule::UnknownFormat,
                "an HTML page that announces no feed: no <link rel=\"alternate\"> with an RSS, Atom or JSON Feed type",
            ));
        }
        self.enqueue(feeds);
    }

    fn list_feeds(&mut self, source: &str, feeds: Result<Vec<Url>, String>) {
        match feeds {
            Ok(feeds) if feeds.is_empty() => self.reports.push(Report::failed(
                source,
                Rule::UnknownFormat,
                "an OPML list with no xmlUrl: no feed to check",
            )),
            Ok(feeds) => self.enqueue(feeds),
            Err(why) => self.reports.push(Report::failed(
                source,
                Rule::UnknownFormat,
                format!("not a usable OPML list: {why}"),
            )),
        }
    }

    /// Records a checked document and queues the older documents it links to.
    fn checked(&mut self, check: UrlCheck) {
        if let Some(url) = &check.final_url {
            self.seen.insert(url.clone());
        }
        if self.walk.follow
            && check.report.format.is_some()
            && let (Some(body), Some(Ok(base))) =
                (&check.body, check.final_url.as_deref().map(Url::parse))
        {
            self.enqueue(discover::older_documents(body, &base));
        }
        self.reports.push(check.report);
    }

    fn enqueue(&mut self, urls: Vec<Url>) {
        for url in urls {
            if matches!(url.scheme(), "http" | "https") && self.seen.insert(url.to_string()) {
                self.queue.push(url);
            }
        }
    }

    /// Checks the queue in waves of `concurrency`, until it is empty or the budget is spent.
    async fn run(mut self) -> Walked {
        let mut next = 0;
        let concurrency = self.walk.concurrency.max(1);
        while next < self.queue.len() && self.reports.len() < self.walk.max_documents {
            let budget = self.walk.max_documents - self.reports.len();
            let wave: Vec<Url> = self.queue[next..]
                .iter()
                .take(concurrency.min(budget))
                .cloned()
                .collect();
            next += wave.len();
            let mut tasks = JoinSet::new();
            for (i, url) in wave.into_iter().enumerate() {
                let (client, options) = (self.client.clone(), self.options.clone());
                tasks.spawn(
                    async move { (i, fetch_and_check(&client, url.as_str(), &options).await) },
                );
            }
            let mut done: Vec<(usize, UrlCheck)> = tasks.join_all().await;
            done.sort_by_key(|(i, _)| *i);
            for (_, check) in done {
                self.checked(check);
            }
        }
        Walked {
            not_checked: self.queue.len() - next,
            reports: self.reports,
        }
    }
}

fn read(path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

/// A file's URL, so relative links in it resolve (to file: URLs, which are not fetched).
fn file_url(path: &str) -> Url {
    std::path::absolute(path)
        .ok()
        .and_then(|p| Url::from_file_path(p).ok())
        .unwrap_or_else(|| Url::parse("file:///").expect("a valid URL"))
}
