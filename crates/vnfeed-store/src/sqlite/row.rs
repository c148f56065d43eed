//! How an article row is read back from SQLite: the columns every article query selects
//! (`COLUMNS`), turning a result row into a `record::Row` and then an `Article`, and the
//! error type of code running inside a blocking closure. The store and its children
//! (`history`, `labels`, `copy`) all read articles this way, so it lives in this leaf and
//! not in `sqlite.rs`, which uses them.

use rusqlite::Row;

use crate::model::Article;
use crate::record::Row as RawRow;

/// An article row, its categories included (the `categories` column, which `put_article`
/// writes in the same statement as the rest of the row): reading N articles reads N rows and
/// nothing else. Category slugs never contain a comma.
pub(super) const COLUMNS: &str = "a.id, a.slug, a.title, a.summary, a.body, a.author, a.published, a.updated, a.url, a.image, \
     a.categories, a.categories_explicit, a.tags";

/// Errors inside a blocking closure: SQL errors get the path attached afterwards.
pub(super) type DbError = crate::error::DbError<rusqlite::Error>;

pub(super) fn raw_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: row.get(0)?,
        slug: row.get(1)?,
        title: row.get(2)?,
        summary: row.get(3)?,
        body: row.get(4)?,
        author: row.get(5)?,
        published: row.get(6)?,
        updated: row.get(7)?,
        url: row.get(8)?,
        image: row.get(9)?,
        categories: split_categories(&row.get::<_, String>(10)?),
        categories_explicit: row.get(11)?,
        tags: decode(12, &row.get::<_, String>(12)?)?,
    })
}

fn split_categories(list: &str) -> Vec<String> {
    if list.is_empty() {
        return Vec::new();
    }
    list.split(',').map(str::to_string).collect()
}

/// Reads the `tags` column of result column `index`.
fn decode(index: usize, json: &str) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(super) fn finish(raw: RawRow) -> Result<Article, DbError> {
    raw.into_article().map_err(DbError::Store)
}
