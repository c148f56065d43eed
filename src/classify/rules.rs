//! One feed's classification rules as its TOML file states them: the `keywords` list and
//! the optional `[classify]` section (threshold, position weights, weighted terms, phrases
//! that are no evidence, abbreviations). Owns their defaults and their validation, with
//! errors that name the field; scoring an article is `score`'s.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::vietnamese::keywords::normal_form;

/// What an old feed file (only `keywords = [...]`) gets: each keyword weighs 1 and one is
/// enough wherever it appears, which is the "any keyword matches" rule those files were
/// written for.
pub const DEFAULT_THRESHOLD: f64 = 1.0;
pub const DEFAULT_KEYWORD_WEIGHT: f64 = 1.0;
pub const DEFAULT_POSITIONS: Positions = Positions {
    title: 3.0,
    lead: 2.0,
    body: 1.0,
};
/// Weights and thresholds are small numbers a person types; anything past this is a typo.
const MAX_WEIGHT: f64 = 1000.0;

/// The `[classify]` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    threshold: Option<f64>,
    position: Option<PositionSection>,
    /// Term -> weight. A weight may be negative (counter-evidence), never zero.
    #[serde(default)]
    terms: BTreeMap<String, f64>,
    /// Phrases that are no evidence: the words they cover count for no term of any feed.
    #[serde(default)]
    ignore: Vec<String>,
    /// Abbreviation -> the full form, a term of this feed, that it counts as.
    #[serde(default)]
    abbreviations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionSection {
    title: Option<f64>,
    lead: Option<f64>,
    body: Option<f64>,
}

/// How much a term counts by where it appears.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Positions {
    pub title: f64,
    pub lead: f64,
    pub body: f64,
}

/// One term of a feed: its name as the file gives it and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub name: String,
    pub weight: f64,
}

/// What a phrase of the file is to its feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Evidence for the term at this index of [`FeedRules::terms`].
    Term(usize),
    /// No evidence: hides the words it covers.
    Ignore,
}

/// A feed's rules, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRules {
    pub threshold: f64,
    pub positions: Positions,
    pub terms: Vec<Term>,
    /// Every phrase to look for (terms, abbreviations, ignored phrases) and what it is.
    pub phrases: Vec<(String, Role)>,
}

/// A rule that cannot be used, with the field it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

fn error(field: impl Into<String>, message: impl Into<String>) -> RuleError {
    RuleError {
        field: field.into(),
        message: message.into(),
    }
}

fn quoted(table: &str, key: &str) -> String {
    format!("{table}.\"{key}\"")
}

fn number(
    field: &str,
    value: f64,
    allow: impl Fn(f64) -> bool,
    what: &str,
) -> Result<f64, RuleError> {
    if value.is_finite() && value.abs() <= MAX_WEIGHT && allow(value) {
        Ok(value)
    } else {
        Err(error(
            field,
            format!("{value} is not {what} (at most {MAX_WEIGHT})"),
        ))
    }
}

/// Validates `keywords` and `[classify]` into the rules the scorer uses.
pub fn compile(keywords: &[String], section: Option<Section>) -> Result<FeedRules, RuleError> {
    let section = section.unwrap_or_default();
    let threshold = number(
        "classify.threshold",
        section.threshold.unwrap_or(DEFAULT_THRESHOLD),
        |v| v > 0.0,
        "a positive number",
    )?;
    let positions = match section.position {
        None => DEFAULT_POSITIONS,
        Some(p) => {
            let weight = |field: &str, v: Option<f64>, default: f64| {
                number(field, v.unwrap_or(default), |v| v >= 0.0, "zero or more")
            };
            Positions {
                title: weight("classify.position.title", p.title, DEFAULT_POSITIONS.title)?,
                lead: weight("classify.position.lead", p.lead, DEFAULT_POSITIONS.lead)?,
                body: weight("classify.position.body", p.body, DEFAULT_POSITIONS.body)?,
            }
        }
    };

    // Every phrase once, by its normal form, so two spellings of one phrase are caught.
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut claim = |field: String, phrase: &str| -> Result<(), RuleError> {
        let form = normal_form(phrase)
            .ok_or_else(|| error(field.clone(), format!("`{phrase}` has no word")))?;
        if let Some(first) = seen.insert(form, field.clone()) {
            return Err(error(
                field,
                format!("`{phrase}` is already given in `{first}`"),
            ));
        }
        Ok(())
    };

    let mut terms = Vec::new();
    let mut phrases = Vec::new();
    for (i, keyword) in keywords.iter().enumerate() {
        // An empty keyword was always skipped; keep reading old files that have one.
        if normal_form(keyword).is_none() {
            continue;
        }
        claim(format!("keywords[{i}]"), keyword)?;
        phrases.push((keyword.clone(), Role::Term(terms.len())));
        terms.push(Term {
            name: keyword.clone(),
            weight: DEFAULT_KEYWORD_WEIGHT,
        });
    }
    for (term, &weight) in &section.terms {
        let field = quoted("classify.terms", term);
        claim(field.clone(), term)?;
        let weight =
            number(&field, weight, |v| v != 0.0, "a weight other than zero").map_err(|e| {
                RuleError {
                    message: format!(
                        "{}; a phrase that is no evidence goes in `classify.ignore`",
                        e.message
                    ),
                    ..e
                }
            })?;
        phrases.push((term.clone(), Role::Term(terms.len())));
        terms.push(Term {
            name: term.clone(),
            weight,
        });
    }
    if !terms.iter().any(|t| t.weight > 0.0) {
        return Err(error(
            "keywords",
            "needs at least one keyword (or a term of positive weight in `classify.terms`), \
             or no article could ever match",
        ));
    }
    for (short, full) in &section.abbreviations {
        let field = quoted("classify.abbreviations", short);
        let target = normal_form(full);
        let term = terms
            .iter()
            .position(|t| target.is_some() && normal_form(&t.name) == target)
            .ok_or_else(|| {
                error(
                    field.clone(),
                    format!(
                        "`{full}` is not a term of this feed: add it to `keywords` or \
                         `classify.terms` first"
                    ),
                )
            })?;
        claim(field, short)?;
        phrases.push((short.clone(), Role::Term(term)));
    }
    for (i, phrase) in section.ignore.iter().enumerate() {
        claim(format!("classify.ignore[{i}]"), phrase)?;
        phrases.push((phrase.clone(), Role::Ignore));
    }
    Ok(FeedRules {
        threshold,
        positions,
        terms,
        phrases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(toml_text: &str) -> Section {
        toml::from_str(toml_text).expect("valid TOML")
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_old_file_gets_any_keyword_matches() {
        let rules = compile(&words(&["biên giới", "", "cửa khẩu"]), None).unwrap();
        assert_eq!(rules.threshold, 1.0);
        assert_eq!(rules.positions, DEFAULT_POSITIONS);
        assert_eq!(
            rules.terms,
            vec![
                Term {
                    name: "biên giới".into(),
                    weight: 1.0
                },
                Term {
                    name: "cửa khẩu".into(),
                    weight: 1.0
                },
            ]
        );
    }

    #[test]
    fn a_section_sets_weights_abbreviations_and_ignored_phrases() {
        let rules = compile(
            &words(&["cửa khẩu"]),
            Some(section(
                "threshold = 5\nposition = { title = 4 }\nignore = [\"Khu kinh tế cửa khẩu\"]\n\
                 [terms]\n\"Bộ đội Biên phòng\" = 3\n[abbreviations]\n\"BĐBP\" = \"bộ đội biên phòng\"\n",
            )),
        )
        .unwrap();
        assert_eq!(rules.threshold, 5.0);
        assert_eq!(
            rules.positions,
            Positions {
                title: 4.0,
                lead: 2.0,
                body: 1.0
            }
        );
        assert_eq!(rules.terms[1].weight, 3.0);
        assert_eq!(
            rules.phrases,
            vec![
                ("cửa khẩu".to_string(), Role::Term(0)),
                ("Bộ đội Biên phòng".to_string(), Role::Term(1)),
                ("BĐBP".to_string(), Role::Term(1)),
                ("Khu kinh tế cửa khẩu".to_string(), Role::Ignore),
            ]
        );
    }

    fn field_of(keywords: &[&str], toml_text: &str) -> RuleError {
        compile(&words(keywords), Some(section(toml_text))).unwrap_err()
    }

    #[test]
    fn bad_rules_name_their_field() {
        let e = field_of(&["a"], "threshold = 0");
        assert_eq!(e.field, "classify.threshold");
        let e = field_of(&["a"], "threshold = nan");
        assert_eq!(e.field, "classify.threshold");
        let e = field_of(&["a"], "position = { lead = -1 }");
        assert_eq!(e.field, "classify.position.lead");
        let e = field_of(&["a"], "[terms]\n\"ma túy\" = 0");
        assert_eq!(e.field, "classify.terms.\"ma túy\"");
        assert!(e.message.contains("classify.ignore"), "{}", e.message);
        let e = field_of(&["Tỉnh ủy"], "[terms]\n\"tỉnh uỷ\" = 2");
        assert_eq!(e.field, "classify.terms.\"tỉnh uỷ\"");
        assert!(e.message.contains("keywords[0]"), "{}", e.message);
        let e = field_of(&["a"], "[abbreviations]\nPCCC = \"phòng cháy chữa cháy\"");
        assert_eq!(e.field, "classify.abbreviations.\"PCCC\"");
        let e = field_of(&["a"], "ignore = [\"b\", \"--\"]");
        assert_eq!(e.field, "classify.ignore[1]");
        let e = field_of(&[], "[terms]\n\"tin thể thao\" = -2");
        assert_eq!(e.field, "keywords");
    }
}
