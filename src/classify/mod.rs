//! Deciding which category feeds an article without explicit categories belongs to, by
//! scoring the evidence each feed's rules find in it, and saying why. `rules` reads a feed
//! file's rules, `eval` measures them against an editor's labels.
//!
//! An article is read in three parts: its title, its lead and its body (captions included).
//! Every phrase of every feed is looked for in each part; where phrases overlap, the longer
//! one is what the text says ("an ninh biên giới" is the borders phrase, not the security
//! term "an ninh"), and an ignored phrase ("Khu kinh tế cửa khẩu") hides the terms inside it.
//! A feed's score adds each distinct term once, its weight times the weight of the best
//! part it appeared in; the article is in the feed when the score reaches the threshold and
//! no `exclude` phrase of the feed appears.

pub mod command;
pub mod eval;
pub mod reclassify;
pub mod rules;

use std::collections::BTreeSet;
use std::fmt;

use crate::model::Block;
use crate::vietnamese::keywords::{KeywordSet, Match, Words, containers, normal_form, words};

use rules::{FeedRules, Role};

/// The parts of an article the rules read, in NFC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleText {
    pub title: String,
    pub lead: String,
    /// Paragraphs and captions after the lead, HTML tags left out.
    pub body: String,
}

impl ArticleText {
    /// From an article's parts; a body that opens with the lead (the text layout's first
    /// paragraph is its lead) does not repeat it.
    pub fn of(title: &str, lead: &str, body: &[Block]) -> ArticleText {
        let mut text = String::new();
        let mut blocks = body.iter().peekable();
        if let Some(Block::Paragraph { text: first }) = blocks.peek()
            && first.trim() == lead.trim()
        {
            blocks.next();
        }
        for block in blocks {
            match block {
                Block::Paragraph { text: p } => text.push_str(p),
                Block::Figure { caption, .. } => text.push_str(caption),
                Block::Html { html } => text.push_str(&crate::sanitize::text_of(html)),
            }
            text.push('\n');
        }
        ArticleText {
            title: title.to_string(),
            lead: lead.to_string(),
            body: text,
        }
    }
}

/// Where in an article a phrase was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Position {
    Title,
    Lead,
    Body,
}

impl Position {
    const ALL: [Position; 3] = [Position::Title, Position::Lead, Position::Body];

    fn weight(self, p: &rules::Positions) -> f64 {
        match self {
            Position::Title => p.title,
            Position::Lead => p.lead,
            Position::Body => p.body,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Position::Title => "title",
            Position::Lead => "lead",
            Position::Body => "body",
        })
    }
}

/// One category's part of the classifier.
#[derive(Debug, Clone)]
struct Category {
    slug: String,
    rules: FeedRules,
    /// The normal form of each term's name, by term (see [`Evidence::found_as`]).
    term_forms: Vec<Option<String>>,
    exclude: KeywordSet,
}

impl Category {
    /// What a term found at `position` adds to the score.
    fn points(&self, term: usize, position: Position) -> f64 {
        self.rules.terms[term].weight * position.weight(&self.rules.positions)
    }
}

/// What a phrase of the lexicon is to one category.
#[derive(Debug, Clone, Copy)]
struct Owner {
    category: usize,
    role: Role,
}

/// Every category's rules, with one lexicon of all their phrases so an article is read once.
#[derive(Debug, Clone)]
pub struct Classifier {
    lexicon: KeywordSet,
    /// The normal form of each phrase of the lexicon, by phrase.
    forms: Vec<Option<String>>,
    /// For each phrase of the lexicon, the categories it belongs to and as what.
    owners: Vec<Vec<Owner>>,
    categories: Vec<Category>,
}

/// One term's contribution to a score.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The term as the feed file names it.
    pub term: String,
    /// The phrase that was found, when it is another spelling (an abbreviation).
    pub found_as: Option<String>,
    pub position: Position,
    pub points: f64,
}

/// A phrase that did not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Discounted {
    /// Inside a longer phrase of some feed (the second field), which is what the text says.
    PartOf(String, String),
    /// An ignored phrase of this feed.
    Ignored(String),
}

/// How one category scored an article.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub slug: String,
    pub score: f64,
    pub threshold: f64,
    /// The first `exclude` phrase found, which keeps the article out whatever the score.
    pub excluded_by: Option<String>,
    /// Best first, ties by term.
    pub evidence: Vec<Evidence>,
    pub discounted: Vec<Discounted>,
}

impl Score {
    pub fn chosen(&self) -> bool {
        self.score >= self.threshold && self.excluded_by.is_none()
    }
}

/// A score from its points, added best first (the order of [`Score::evidence`]), so that
/// [`Classifier::classify`] and [`Classifier::explain`] add the same numbers in the same order
/// and agree to the last bit. From +0.0: an empty f64 sum is -0.0, which prints as "-0.0".
fn total(points: impl Iterator<Item = f64>) -> f64 {
    points.fold(0.0, |a, b| a + b)
}

/// A classified article: every category's score, in slug order.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub scores: Vec<Score>,
}

impl Explanation {
    /// The chosen categories, sorted.
    pub fn categories(&self) -> Vec<String> {
        self.scores
            .iter()
            .filter(|s| s.chosen())
            .map(|s| s.slug.clone())
            .collect()
    }
}

/// What reading an article found, as indexes into the lexicon and the rules: the numbers
/// both a verdict and an explanation are made of, without the explanation's words.
struct Findings<'c> {
    /// best[category][term]: the best position a term was found in, and as which phrase.
    best: Vec<Vec<Option<(Position, usize)>>>,
    /// (phrase, the longer phrase it is part of) or (ignored phrase, None); a set, so a
    /// phrase repeated all through a text is said once.
    discounted: Vec<BTreeSet<(usize, Option<usize>)>>,
    /// The first `exclude` phrase of each category found.
    excluded_by: Vec<Option<&'c str>>,
}

impl Classifier {
    /// From each category's slug, rules and exclusions, in slug order.
    pub fn new(categories: Vec<(String, FeedRules, KeywordSet)>) -> Classifier {
        let categories: Vec<Category> = categories
            .into_iter()
            .map(|(slug, rules, exclude)| Category {
                term_forms: rules.terms.iter().map(|t| normal_form(&t.name)).collect(),
                slug,
                rules,
                exclude,
            })
            .collect();
        // One lexicon entry per normal form; a phrase several feeds use has several owners.
        let mut phrases: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<Owner>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (category, c) in categories.iter().enumerate() {
            for (phrase, role) in &c.rules.phrases {
                let form = normal_form(phrase).expect("rules keep only phrases with words");
                let at = *index.entry(form).or_insert_with(|| {
                    phrases.push(phrase.clone());
                    owners.push(Vec::new());
                    phrases.len() - 1
                });
                owners[at].push(Owner {
                    category,
                    role: *role,
                });
            }
        }
        let lexicon = KeywordSet::new(&phrases);
        Classifier {
            forms: lexicon.phrases().map(normal_form).collect(),
            lexicon,
            owners,
            categories,
        }
    }

    /// The chosen categories of an article, as sorted slugs: [`Classifier::explain`]'s
    /// choice, without putting the explanation into words (an import's hot path).
    pub fn classify(&self, text: &ArticleText) -> Vec<String> {
        let found = self.read(text);
        self.categories
            .iter()
            .zip(&found.best)
            .zip(&found.excluded_by)
            .filter(|((c, best), excluded_by)| {
                let mut points: Vec<f64> = best
                    .iter()
                    .enumerate()
                    .filter_map(|(term, found)| Some(c.points(term, found.as_ref()?.0)))
                    .collect();
                points.sort_by(|a, b| b.total_cmp(a));
                excluded_by.is_none() && total(points.into_iter()) >= c.rules.threshold
            })
            .map(|((c, _), _)| c.slug.clone())
            .collect()
    }

    /// Every category's score of an article, with the evidence behind it.
    pub fn explain(&self, text: &ArticleText) -> Explanation {
        let found = self.read(text);
        let phrases: Vec<&str> = self.lexicon.phrases().collect();
        let scores = self
            .categories
            .iter()
            .zip(found.best)
            .zip(found.discounted)
            .zip(found.excluded_by)
            .map(|(((c, best), discounted), excluded_by)| {
                let mut evidence: Vec<Evidence> = best
                    .into_iter()
                    .enumerate()
                    .filter_map(|(term, found)| {
                        let (position, phrase) = found?;
                        let found_as = (self.forms[phrase] != c.term_forms[term])
                            .then(|| phrases[phrase].to_string());
                        Some(Evidence {
                            term: c.rules.terms[term].name.clone(),
                            found_as,
                            position,
                            points: c.points(term, position),
                        })
                    })
                    .collect();
                evidence.sort_by(|a, b| b.points.total_cmp(&a.points).then(a.term.cmp(&b.term)));
                let mut discounted: Vec<Discounted> = discounted
                    .into_iter()
                    .map(|(phrase, whole)| match whole {
                        Some(whole) => Discounted::PartOf(
                            phrases[phrase].to_string(),
                            phrases[whole].to_string(),
                        ),
                        None => Discounted::Ignored(phrases[phrase].to_string()),
                    })
                    .collect();
                discounted.sort();
                Score {
                    slug: c.slug.clone(),
                    score: total(evidence.iter().map(|e| e.points)),
                    threshold: c.rules.threshold,
                    excluded_by: excluded_by.map(str::to_string),
                    evidence,
                    discounted,
                }
            })
            .collect();
        Explanation { scores }
    }

    /// Reads the article's three parts for every category at once.
    fn read(&self, text: &ArticleText) -> Findings<'_> {
        let n = self.categories.len();
        let mut found = Findings {
            best: self
                .categories
                .iter()
                .map(|c| vec![None; c.rules.terms.len()])
                .collect(),
            discounted: vec![BTreeSet::new(); n],
            excluded_by: vec![None; n],
        };
        for position in Position::ALL {
            let part = match position {
                Position::Title => &text.title,
                Position::Lead => &text.lead,
                Position::Body => &text.body,
            };
            let part_words = words(part);
            self.exclusions(&part_words, &mut found.excluded_by);
            let matches = self.lexicon.find_all(&part_words);
            for (m, whole) in matches.iter().zip(containers(&matches)) {
                let Some(whole) = whole else {
                    self.credit(m, position, &mut found);
                    continue;
                };
                let whole = matches[whole].phrase;
                // Worth saying only when the longer phrase is not this feed's own term.
                for owner in &self.owners[m.phrase] {
                    let own = self.owners[whole]
                        .iter()
                        .any(|o| o.category == owner.category && matches!(o.role, Role::Term(_)));
                    if !own {
                        found.discounted[owner.category].insert((m.phrase, Some(whole)));
                    }
                }
            }
        }
        found
    }

    /// Counts a phrase that stands on its own for every category that has it.
    fn credit(&self, m: &Match, position: Position, found: &mut Findings<'_>) {
        for owner in &self.owners[m.phrase] {
            match owner.role {
                Role::Term(term) => {
                    let slot = &mut found.best[owner.category][term];
                    // Parts are visited title first, so the first find is the best.
                    if slot.is_none() {
                        *slot = Some((position, m.phrase));
                    }
                }
                Role::Ignore => {
                    found.discounted[owner.category].insert((m.phrase, None));
                }
            }
        }
    }

    fn exclusions<'c>(&'c self, part: &Words, excluded_by: &mut [Option<&'c str>]) {
        for (c, slot) in self.categories.iter().zip(excluded_by.iter_mut()) {
            if slot.is_none() {
                *slot = c.exclude.first_match(part);
            }
        }
    }
}

impl fmt::Display for Score {
    /// `borders 9.0 >= 5.0: đồn biên phòng (title) 6.0, …` and what did not count.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.score >= self.threshold {
            ">="
        } else {
            "<"
        };
        write!(
            f,
            "{} {:.1} {verdict} {:.1}",
            self.slug, self.score, self.threshold
        )?;
        if let Some(phrase) = &self.excluded_by {
            write!(f, ", excluded by \"{phrase}\"")?;
        }
        for (i, e) in self.evidence.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { ", " })?;
            write!(f, "\"{}\"", e.term)?;
            if let Some(found) = &e.found_as {
                write!(f, " (as \"{found}\")")?;
            }
            write!(f, " {} {:+.1}", e.position, e.points)?;
        }
        for d in &self.discounted {
            match d {
                Discounted::PartOf(part, whole) => {
                    write!(f, "; \"{part}\" not counted: part of \"{whole}\"")?
                }
                Discounted::Ignored(phrase) => write!(f, "; \"{phrase}\" ignored")?,
            }
        }
        Ok(())
    }
}
