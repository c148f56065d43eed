//! `vnfeed reclassify`: the stored articles whose categories the rules chose, sorted again
//! by the rules as they are now. `--dry-run` lists what would move with the terms and scores
//! behind it (as `vnfeed classify --explain` prints them); without it every move is one
//! upsert batch, so one transaction: all move or none does, and a feed's validators change
//! only where an article entered, left or changed in it. Articles whose source named their
//! categories ([`Categorized::Explicitly`]) are never moved.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::{ArticleText, Explanation};
use crate::feeds::FeedSet;
use crate::model::{Article, Categorized, Draft};
use crate::store::{MigrateStore, StoreError, Upserted};

/// Stored articles read per query while looking for moves.
const PAGE: usize = 500;

/// One article the rules now sort differently.
#[derive(Debug, Clone)]
pub struct Move {
    pub article: Article,
    /// The categories the rules choose now, sorted.
    pub to: Vec<String>,
    pub explanation: Explanation,
}

/// Every stored article (scheduled ones too) whose categories the rules chose and would
/// now choose differently, in id order.
pub async fn moves(store: &dyn MigrateStore, feeds: &FeedSet) -> Result<Vec<Move>, StoreError> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.export(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.row.id.clone());
        for stored in page {
            let article = stored.row.into_article()?;
            if article.categorized == Categorized::Explicitly {
                continue;
            }
            let explanation = feeds.explain(&ArticleText::of(
                &article.title,
                &article.summary,
                &article.body,
            ));
            let to = explanation.categories();
            if to != article.categories {
                found.push(Move {
                    article,
                    to,
                    explanation,
                });
            }
        }
    }
    Ok(found)
}

/// Writes every move through the normal write path, as one batch (one transaction). Each
/// article keeps its content; only its categories change, which counts as an edit.
pub async fn apply(
    store: &dyn MigrateStore,
    moves: Vec<Move>,
    now: DateTime<Utc>,
) -> Result<Vec<Upserted>, StoreError> {
    if moves.is_empty() {
        return Ok(Vec::new());
    }
    let drafts = moves
        .into_iter()
        .map(|m| draft_of(m.article, m.to))
        .collect();
    store.upsert(drafts, now).await
}

/// The article as a draft with new categories. `updated` is left to the store (an edit
/// moves it on), as a source without an edit time leaves it.
fn draft_of(article: Article, categories: Vec<String>) -> Draft {
    Draft {
        id: article.id,
        title: article.title,
        summary: article.summary,
        body: article.body,
        author: article.author,
        published: article.published,
        updated: None,
        categories,
        categorized: Categorized::ByRules,
        url: article.url,
        image: article.image,
        tags: article.tags,
    }
}

/// What `reclassify` prints: per move `id (slug): title` and `from -> to`, then every
/// category's score and terms, then a count.
pub fn report(moves: &[Move], applied: bool) -> String {
    let mut out = String::new();
    for m in moves {
        let a = &m.article;
        let _ = writeln!(out, "{} ({}): {}", a.id, a.slug, a.title);
        let _ = writeln!(out, "  {} -> {}", listed(&a.categories), listed(&m.to));
        for score in &m.explanation.scores {
            let _ = writeln!(out, "  {score}");
        }
    }
    let verb = if applied { "moved" } else { "would move" };
    let _ = writeln!(out, "{verb} {} articles", moves.len());
    out
}

fn listed(categories: &[String]) -> String {
    if categories.is_empty() {
        "(none)".to_string()
    } else {
        categories.join(", ")
    }
}
