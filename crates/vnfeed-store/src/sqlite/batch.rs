//! What one SQLite write transaction of many drafts (an import batch) keeps in memory, so an
//! article costs a few statements instead of a dozen, and the rows of the article-keyed
//! indexes go in in key order rather than in the random order of the drafts' ids:
//!
//! - what the store held for the drafts' ids, first slug candidates and tombstones, each read
//!   for the whole batch by one statement that walks its index in key order;
//! - the archive pages' tallies (the newest page of each feed and what each page gained),
//!   written once at the end instead of read and upserted per article and feed;
//! - the labels already marked changed (a mark is the same all through the transaction);
//! - the category, label and feed-history rows of the batch's articles, inserted sorted by
//!   article id when the batch ends.
//!
//! Nothing here decides anything ([`crate::plan`] does): whatever is pending is written
//! before any statement that reads those tables (an edit first [`Batch::flush`]es), and an id
//! or slug the batch has written is asked of the store again, so every draft sees exactly
//! what the drafts before it wrote, as if each were written on its own.
//!
//! Its memory is bounded by the batch the caller hands in (`import::BATCH_FILES` drafts for
//! an import): a few short strings per draft, against the draft's own kilobytes of text.

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::history;
use super::labels::LabelRow;
use crate::archive::{self, OpenPage};
use crate::key::FeedKey;
use crate::labels::LabelKind;
use crate::model::Draft;
use crate::plan::{self, Existing, Lookup};
use crate::record::{self, HistoryEntry};

/// A stored article as the upsert decisions need it, from the columns `id, slug,
/// content_hash, updated, categories_explicit`.
pub(super) fn existing(r: &rusqlite::Row<'_>) -> rusqlite::Result<Existing> {
    Ok(Existing {
        id: r.get(0)?,
        slug: r.get(1)?,
        content_hash: r.get(2)?,
        updated: r.get(3)?,
        categorized: record::categorized(r.get(4)?),
    })
}

/// What the store held when the batch began.
#[derive(Default)]
struct Known {
    /// False for a batch that read nothing ahead: every lookup asks the store.
    complete: bool,
    by_id: HashMap<String, Existing>,
    /// The first slug candidates asked about, and those of them some article had.
    slugs_asked: HashSet<String>,
    slugs_taken: HashSet<String>,
    /// The batch's ids that had a tombstone.
    tombstoned: HashSet<String>,
}

/// One article's row of `article_categories`.
struct CategoryRow {
    article_id: String,
    category: String,
    published: i64,
}

/// The archive pages appended to since the last flush: each feed's newest page as it now
/// stands (with the number of entries ever appended to it), and what each page gained.
#[derive(Default)]
struct Tally {
    newest: HashMap<String, (OpenPage, i64)>,
    /// (feed, page) -> (entries, bytes) gained; every entry gained was also appended.
    gained: BTreeMap<(String, i64), (i64, i64)>,
}

pub(super) struct Batch {
    known: Known,
    /// The write's `now` (Unix seconds): when the pages it appends to changed.
    now: i64,
    /// Ids this batch has written: what `known` says of them is stale.
    written_ids: HashSet<String>,
    /// Slugs this batch gave to new articles.
    written_slugs: HashSet<String>,
    /// Labels marked changed in this transaction, as "kind slug".
    marked: HashSet<String>,
    tally: Tally,
    categories: Vec<CategoryRow>,
    labels: Vec<LabelRow>,
    entries: Vec<HistoryEntry>,
}

/// Each of the batch's read-ahead statements: one walk of an index for a JSON list of keys
/// (`IN` over a subquery is looked up in key order).
pub(super) const KNOWN_BY_ID: &str =
    "SELECT id, slug, content_hash, updated, categories_explicit FROM articles
     WHERE id IN (SELECT value FROM json_each(?1))";
pub(super) const SLUGS_TAKEN: &str =
    "SELECT slug FROM articles WHERE slug IN (SELECT value FROM json_each(?1))";
pub(super) const TOMBSTONED: &str =
    "SELECT id FROM tombstones WHERE id IN (SELECT value FROM json_each(?1))";

impl Batch {
    /// A batch that reads nothing ahead (a copy from another store): every lookup asks.
    pub(super) fn new(now: i64) -> Batch {
        Batch {
            known: Known::default(),
            now,
            written_ids: HashSet::new(),
            written_slugs: HashSet::new(),
            marked: HashSet::new(),
            tally: Tally::default(),
            categories: Vec::new(),
            labels: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// A batch for `drafts`, with what the store holds under their ids, whether the first
    /// slug candidate of each new one is taken, and which ids have tombstones.
    pub(super) fn for_drafts(
        tx: &Transaction<'_>,
        drafts: &[Draft],
        now: i64,
    ) -> rusqlite::Result<Batch> {
        let mut batch = Batch::new(now);
        let ids = json_list(drafts.iter().map(|d| d.id.as_str()));
        let known = &mut batch.known;
        for found in tx
            .prepare_cached(KNOWN_BY_ID)?
            .query_map(params![ids], existing)?
        {
            let found = found?;
            known.by_id.insert(found.id.clone(), found);
        }
        // Only a draft stored under no id can need a new slug (one matched by URL keeps its).
        known.slugs_asked = drafts
            .iter()
            .filter(|d| !known.by_id.contains_key(&d.id))
            .map(|d| first_slug(&d.title))
            .collect();
        let slugs = json_list(known.slugs_asked.iter().map(String::as_str));
        known.slugs_taken = tx
            .prepare_cached(SLUGS_TAKEN)?
            .query_map(params![slugs], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        known.tombstoned = tx
            .prepare_cached(TOMBSTONED)?
            .query_map(params![ids], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        known.complete = true;
        Ok(batch)
    }

    /// What the store holds for `draft` now, as [`lookup`] would read it.
    pub(super) fn lookup(&self, tx: &Transaction<'_>, draft: &Draft) -> rusqlite::Result<Lookup> {
        let by_id = if self.known.complete && !self.written_ids.contains(&draft.id) {
            self.known.by_id.get(&draft.id).cloned()
        } else {
            stored_by(tx, STORED_BY_ID, &draft.id)?
        };
        let by_url = match &draft.url {
            Some(url) => stored_by(tx, STORED_BY_URL, url)?,
            None => None,
        };
        Ok(Lookup { by_id, by_url })
    }

    /// The slug for a new article titled `title`: the first of its candidates no article has.
    pub(super) fn new_slug(
        &mut self,
        tx: &Transaction<'_>,
        title: &str,
    ) -> rusqlite::Result<String> {
        let first = first_slug(title);
        let free = self.known.slugs_asked.contains(&first)
            && !self.known.slugs_taken.contains(&first)
            && !self.written_slugs.contains(&first);
        let slug = if free { first } else { unique_slug(tx, title)? };
        self.written_slugs.insert(slug.clone());
        Ok(slug)
    }

    /// Whether article `id` may have a tombstone to retire.
    pub(super) fn may_have_tombstone(&self, id: &str) -> bool {
        !self.known.complete || self.known.tombstoned.contains(id)
    }

    /// Notes that the article under `id` was written: later lookups of it ask the store.
    pub(super) fn wrote(&mut self, id: &str) {
        if !self.written_ids.contains(id) {
            self.written_ids.insert(id.to_string());
        }
    }

    /// Marks a label as changed at the coming revision, once per transaction.
    pub(super) fn mark_label(
        &mut self,
        tx: &Transaction<'_>,
        kind: LabelKind,
        slug: &str,
    ) -> rusqlite::Result<()> {
        if self.marked.insert(format!("{} {slug}", kind.as_str())) {
            super::labels::mark(tx, kind.as_str(), slug)?;
        }
        Ok(())
    }

    /// Files the article under `category`, written at the next flush.
    pub(super) fn add_category(&mut self, article_id: &str, category: &str, published: i64) {
        self.categories.push(CategoryRow {
            article_id: article_id.to_string(),
            category: category.to_string(),
            published,
        });
    }

    pub(super) fn add_label(&mut self, row: LabelRow) {
        self.labels.push(row);
    }

    /// Appends article `id` (of `weight` bytes) to the end of the history of `all` and of
    /// each of its categories, on the page [`archive::place`] picks; the entries and the
    /// pages' tallies are written at the next flush.
    pub(super) fn append(
        &mut self,
        tx: &Transaction<'_>,
        id: &str,
        categories: &[String],
        weight: i64,
    ) -> rusqlite::Result<()> {
        let feeds = std::iter::once(FeedKey::All.history_key())
            .chain(categories.iter().map(String::as_str));
        for feed in feeds {
            let (open, appended) = match self.tally.newest.get(feed) {
                Some(newest) => *newest,
                None => history::open_page(tx, feed)?,
            };
            let page = archive::place(open, weight);
            let (position, newest) = if page == open.page {
                let grown = OpenPage {
                    page,
                    entries: open.entries + 1,
                    bytes: open.bytes + weight,
                };
                (appended, (grown, appended + 1))
            } else {
                let started = OpenPage {
                    page,
                    entries: 1,
                    bytes: weight,
                };
                (0, (started, 1))
            };
            self.tally.newest.insert(feed.to_string(), newest);
            let gained = self
                .tally
                .gained
                .entry((feed.to_string(), page))
                .or_default();
            *gained = (gained.0 + 1, gained.1 + weight);
            self.entries.push(HistoryEntry {
                feed: feed.to_string(),
                page,
                position,
                article_id: id.to_string(),
                weight,
            });
        }
        Ok(())
    }

    /// Writes everything pending: the rows sorted by article id (the key of the indexes they
    /// land in at random places), then the pages' tallies.
    pub(super) fn flush(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        if !self.categories.is_empty() {
            let mut rows = std::mem::take(&mut self.categories);
            rows.sort_unstable_by(|a, b| {
                (&a.article_id, &a.category).cmp(&(&b.article_id, &b.category))
            });
            let mut insert = tx.prepare_cached(
                "INSERT INTO article_categories (article_id, category, published)
                 VALUES (?1, ?2, ?3)",
            )?;
            for row in &rows {
                insert.execute(params![row.article_id, row.category, row.published])?;
            }
        }
        if !self.labels.is_empty() {
            let mut rows = std::mem::take(&mut self.labels);
            rows.sort_unstable_by(|a, b| {
                (&a.article_id, a.kind, &a.slug).cmp(&(&b.article_id, b.kind, &b.slug))
            });
            super::labels::insert(tx, &rows)?;
        }
        if !self.entries.is_empty() {
            let mut rows = std::mem::take(&mut self.entries);
            rows.sort_unstable_by(|a, b| (&a.article_id, &a.feed).cmp(&(&b.article_id, &b.feed)));
            history::insert_entries(tx, &rows)?;
        }
        let tally = std::mem::take(&mut self.tally);
        history::add_to_pages(tx, &tally.gained, self.now)
    }
}

/// What the store holds for `draft`: the article under its id and the one holding its URL.
pub(super) fn lookup(conn: &Connection, draft: &Draft) -> rusqlite::Result<Lookup> {
    Ok(Lookup {
        by_id: stored_by(conn, STORED_BY_ID, &draft.id)?,
        by_url: match &draft.url {
            Some(url) => stored_by(conn, STORED_BY_URL, url)?,
            None => None,
        },
    })
}

const STORED_BY_ID: &str =
    "SELECT id, slug, content_hash, updated, categories_explicit FROM articles WHERE id = ?1";
const STORED_BY_URL: &str =
    "SELECT id, slug, content_hash, updated, categories_explicit FROM articles WHERE url = ?1";

/// The article `sql` ([`STORED_BY_ID`] or [`STORED_BY_URL`]) finds under `key`.
fn stored_by(conn: &Connection, sql: &str, key: &str) -> rusqlite::Result<Option<Existing>> {
    conn.prepare_cached(sql)?
        .query_row(params![key], existing)
        .optional()
}

/// The first of the title's slug candidates no other article has.
fn unique_slug(tx: &Transaction<'_>, title: &str) -> rusqlite::Result<String> {
    let mut stmt = tx.prepare_cached("SELECT 1 FROM articles WHERE slug = ?1")?;
    for candidate in plan::slug_candidates(title) {
        if !stmt.exists(params![candidate])? {
            return Ok(candidate);
        }
    }
    unreachable!("the candidates never run out")
}

fn first_slug(title: &str) -> String {
    plan::slug_candidates(title)
        .next()
        .expect("the candidates never run out")
}

/// Keys as a JSON array, for `json_each`.
fn json_list<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    serde_json::to_string(&keys.collect::<Vec<_>>()).expect("a list of strings serializes")
}
