//! Feed definitions: one TOML file per category feed in the feeds directory, plus the
//! built-in combined feed `all`. Owns loading and validating them, resolving slugs and
//! aliases, and deciding which feeds an article belongs to. The definitions shipped in
//! `feeds/` are embedded in the binary, so `vnfeed serve` runs from any directory; `--feeds
//! DIR` replaces them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::classify::rules::{self, FeedRules};
use crate::classify::{ArticleText, Classifier, Explanation};
use crate::vietnamese::keywords::KeywordSet;

pub use crate::definitions::{FeedDefError, embedded_files};

/// The combined feed that holds every article.
use vnfeed_store::ALL_SLUG;

/// Whether a file of the feeds directory is the site file rather than a feed.
fn is_site_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == crate::identity::SITE_FILE)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedFile {
    slug: String,
    title: String,
    title_en: String,
    description: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    /// A veto: an article with any of these phrases is never in the feed by its rules.
    #[serde(default)]
    exclude: Vec<String>,
    /// Weights, threshold and phrases of the scoring (see `classify::rules`).
    classify: Option<rules::Section>,
    /// Minutes readers may keep the feed before asking again (see `polling`); the site
    /// default (`--feed-ttl`) when absent.
    ttl: Option<u32>,
    /// This feed's own square icon and 2:1 logo (see `identity`); the site's otherwise.
    icon: Option<String>,
    logo: Option<String>,
    /// `full` (the default) or `summary`: see [`ContentMode`].
    content: Option<String>,
}

/// How much of each article a feed carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContentMode {
    /// The whole body: RSS `content:encoded`, Atom `content`, JSON Feed `content_html`.
    #[default]
    Full,
    /// Only the lead and the link, as Vietnamese news sites publish: no body at all.
    Summary,
}

/// One feed: a category defined in TOML, or `all`.
#[derive(Debug, Clone)]
pub struct FeedDef {
    pub slug: String,
    /// Vietnamese title, shown to readers and used as the item category label.
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub aliases: Vec<String>,
    /// Minutes readers may keep the feed (`ttl` in its file); `None`: the site default.
    pub ttl: Option<u32>,
    /// The feed's own icon and logo, as configured (a path or an https URL).
    pub icon: Option<String>,
    pub logo: Option<String>,
    pub content: ContentMode,
    rules: FeedRules,
    exclude: KeywordSet,
}

impl FeedDef {
    pub fn is_all(&self) -> bool {
        self.slug == ALL_SLUG
    }

    /// The feed of an author or a tag (see `labels`), which no TOML defines: its `slug` is
    /// the path under `/feeds/` (`authors/ngoc-thu`), so every renderer links it rightly.
    /// It classifies nothing.
    pub fn label(path: String, title: String, description: String) -> FeedDef {
        FeedDef::unclassified(path, title.clone(), title, description, Vec::new())
    }

    /// A feed that no TOML defines and that classifies nothing (`all`, an author's, a
    /// tag's): the site's polling, images and full content.
    fn unclassified(
        slug: String,
        title: String,
        title_en: String,
        description: String,
        aliases: Vec<String>,
    ) -> FeedDef {
        FeedDef {
            slug,
            title,
            title_en,
            description,
            aliases,
            ttl: None,
            icon: None,
            logo: None,
            content: ContentMode::Full,
            rules: FeedRules {
                threshold: rules::DEFAULT_THRESHOLD,
                positions: rules::DEFAULT_POSITIONS,
                terms: Vec::new(),
                phrases: Vec::new(),
            },
            exclude: KeywordSet::new::<&str>(&[]),
        }
    }
}

/// How a slug in a URL or a JSON `categories` list resolved.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Feed(&'a FeedDef),
    /// A Vietnamese alias: answered with a redirect to the feed's own slug.
    Alias(&'a FeedDef),
}

#[derive(Debug, Clone)]
pub struct FeedSet {
    all: FeedDef,
    /// Sorted by slug, so every listing (index page, classification) is deterministic.
    categories: Vec<FeedDef>,
    /// Every category's rules, read together: one feed's phrase can outweigh another's.
    classifier: Classifier,
}

impl FeedSet {
    /// The definitions built into the binary (the repository's `feeds/`).
    pub fn embedded() -> FeedSet {
        let sources = embedded_files()
            .into_iter()
            .filter(|(path, _)| !is_site_file(path))
            .map(|(path, text)| (path, text.to_string()))
            .collect();
        FeedSet::from_sources(sources).expect("the shipped definitions are valid (tested)")
    }

    /// Loads every `*.toml` file of `dir` but the site file. Any bad file stops the load with
    /// an error naming it.
    pub fn load(dir: &Path) -> Result<FeedSet, FeedDefError> {
        let read_err = |message: String| FeedDefError {
            file: dir.to_path_buf(),
            line: None,
            field: None,
            message,
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| read_err(format!("cannot read the feeds directory: {e}")))?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| read_err(e.to_string()))?.path();
            if path.extension().is_some_and(|e| e == "toml") && !is_site_file(&path) {
                paths.push(path);
            }
        }
        paths.sort();
        let mut sources = Vec::new();
        for path in paths {
            // Listed a moment ago; gone since is as unreadable as any other failure.
            let text = crate::definitions::read_definition(&path)?.ok_or_else(|| FeedDefError {
                file: path.clone(),
                line: None,
                field: None,
                message: "cannot read: removed while the directory was read".into(),
            })?;
            sources.push((path, text));
        }
        FeedSet::from_sources(sources)
    }

    /// Builds a feed set from (file name, TOML text) pairs.
    pub fn from_sources(sources: Vec<(PathBuf, String)>) -> Result<FeedSet, FeedDefError> {
        let mut categories: Vec<FeedDef> = Vec::new();
        for (file, text) in sources {
            let def = parse_feed_file(&file, &text)?;
            let taken = |name: &str| {
                name == ALL_SLUG
                    || categories
                        .iter()
                        .any(|f| f.slug == name || f.aliases.iter().any(|a| a == name))
            };
            if taken(&def.slug) {
                return Err(field_error(
                    &file,
                    "slug",
                    format!("`{}` is already used", def.slug),
                ));
            }
            if let Some(alias) = def.aliases.iter().find(|a| taken(a) || **a == def.slug) {
                return Err(field_error(
                    &file,
                    "aliases",
                    format!("`{alias}` is already used"),
                ));
            }
            categories.push(def);
        }
        categories.sort_by(|a, b| a.slug.cmp(&b.slug));
        let all = FeedDef::unclassified(
            ALL_SLUG.to_string(),
            "Tất cả bài viết".to_string(),
            "All articles".to_string(),
            "Mọi bài viết, mới nhất trước.".to_string(),
            vec!["tat-ca".to_string()],
        );
        let classifier = Classifier::new(
            categories
                .iter()
                .map(|f| (f.slug.clone(), f.rules.clone(), f.exclude.clone()))
                .collect(),
        );
        Ok(FeedSet {
            all,
            categories,
            classifier,
        })
    }

    pub fn all(&self) -> &FeedDef {
        &self.all
    }

    /// The category feeds, sorted by slug (without `all`).
    pub fn categories(&self) -> &[FeedDef] {
        &self.categories
    }

    /// `all` first, then every category.
    pub fn feeds(&self) -> impl Iterator<Item = &FeedDef> {
        std::iter::once(&self.all).chain(self.categories.iter())
    }

    pub fn lookup(&self, name: &str) -> Option<Lookup<'_>> {
        self.feeds().find_map(|f| {
            if f.slug == name {
                Some(Lookup::Feed(f))
            } else if f.aliases.iter().any(|a| a == name) {
                Some(Lookup::Alias(f))
            } else {
                None
            }
        })
    }

    /// A category named by its slug or an alias; `all` is not a category.
    pub fn category(&self, name: &str) -> Option<&FeedDef> {
        match self.lookup(name)? {
            Lookup::Feed(f) | Lookup::Alias(f) if !f.is_all() => Some(f),
            _ => None,
        }
    }

    /// The Vietnamese title of a category slug, or the slug itself if it is unknown.
    pub fn title_of<'a>(&'a self, slug: &'a str) -> &'a str {
        self.category(slug).map_or(slug, |f| f.title.as_str())
    }

    /// The categories whose rules an article meets, as sorted slugs (see `classify`).
    /// Matching keeps diacritics (`Đảng` is not `đang`) and ignores case and tone placement.
    pub fn classify(&self, text: &ArticleText) -> Vec<String> {
        self.classifier.classify(text)
    }

    /// Every category's score of an article and the terms behind it.
    pub fn explain(&self, text: &ArticleText) -> Explanation {
        self.classifier.explain(text)
    }
}

fn field_error(file: &Path, field: &str, message: String) -> FeedDefError {
    FeedDefError::field(file, field, message)
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn parse_feed_file(file: &Path, text: &str) -> Result<FeedDef, FeedDefError> {
    let raw: FeedFile = toml::from_str(text).map_err(|e| FeedDefError::toml(file, text, &e))?;
    if !is_slug(&raw.slug) {
        return Err(field_error(
            file,
            "slug",
            format!("`{}` is not a slug (lowercase a-z, 0-9 and '-')", raw.slug),
        ));
    }
    if raw.slug == ALL_SLUG {
        return Err(field_error(
            file,
            "slug",
            "`all` is reserved for the combined feed".into(),
        ));
    }
    for (field, value) in [
        ("title", &raw.title),
        ("title_en", &raw.title_en),
        ("description", &raw.description),
    ] {
        if value.trim().is_empty() {
            return Err(field_error(file, field, "must not be empty".into()));
        }
    }
    if let Some(bad) = raw.aliases.iter().find(|a| !is_slug(a)) {
        return Err(field_error(
            file,
            "aliases",
            format!("`{bad}` is not a slug (lowercase a-z, 0-9 and '-')"),
        ));
    }
    if let Some(ttl) = raw
        .ttl
        .filter(|m| !(1..=crate::polling::MAX_TTL_MINUTES).contains(m))
    {
        return Err(field_error(
            file,
            "ttl",
            format!(
                "{ttl} is not a number of minutes from 1 to {}",
                crate::polling::MAX_TTL_MINUTES
            ),
        ));
    }
    let rules = rules::compile(&raw.keywords, raw.classify)
        .map_err(|e| field_error(file, &e.field, e.message))?;
    let content = match raw.content.as_deref() {
        None | Some("full") => ContentMode::Full,
        Some("summary") => ContentMode::Summary,
        Some(other) => {
            return Err(field_error(
                file,
                "content",
                format!("`{other}` is not `full` or `summary`"),
            ));
        }
    };
    let clean = crate::vietnamese::text::clean_line;
    Ok(FeedDef {
        slug: raw.slug,
        title: clean(&raw.title),
        title_en: clean(&raw.title_en),
        description: clean(&raw.description),
        aliases: raw.aliases,
        ttl: raw.ttl,
        icon: crate::identity::image_url(file, "icon", raw.icon)?,
        logo: crate::identity::image_url(file, "logo", raw.logo)?,
        content,
        rules,
        exclude: KeywordSet::new(&raw.exclude),
    })
}
