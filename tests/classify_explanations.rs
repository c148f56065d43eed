//! The classifier's verdicts and explanations pinned to the byte (issue 15): making an
//! import's classification fast must not move a single score, evidence line or choice.
//!
//! `tests/classify/explanations.golden` is what `vnfeed classify --explain` printed for the
//! whole labelled corpus before the fast classifier. When `feeds/*.toml` change on purpose,
//! write it again:
//! `vnfeed classify --explain tests/classify/dev tests/classify/test > tests/classify/explanations.golden`

mod common;

use std::path::PathBuf;

use common::*;
use vnfeed::classify::ArticleText;
use vnfeed::feeds::FeedSet;
use vnfeed::import;

const GOLDEN: &str = "tests/classify/explanations.golden";

#[test]
fn the_corpus_is_explained_as_before_the_fast_classifier() {
    let out = vnfeed(&[
        "classify",
        "--explain",
        "tests/classify/dev",
        "tests/classify/test",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got = stdout(&out);
    let want = std::fs::read_to_string(repo().join(GOLDEN)).expect("the golden file");
    for (n, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "line {} of {GOLDEN}", n + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count());
    assert_eq!(got, want);
    // 152 articles, each with its verdict line and one line per category.
    assert_eq!(want.lines().filter(|l| !l.starts_with("  ")).count(), 152);
}

/// The article in several shapes: as written, its parts shouted, its body as its title
/// (more points), its lead alone, and written in NFD (the slow path of word splitting).
fn variants(text: &ArticleText) -> Vec<ArticleText> {
    use unicode_normalization::UnicodeNormalization;
    let nfd = |s: &str| s.nfd().collect::<String>();
    vec![
        text.clone(),
        ArticleText {
            title: text.title.to_uppercase(),
            lead: text.lead.to_uppercase(),
            body: text.body.to_uppercase(),
        },
        ArticleText {
            title: text.body.clone(),
            lead: text.title.clone(),
            body: text.lead.clone(),
        },
        ArticleText {
            title: String::new(),
            lead: text.lead.clone(),
            body: String::new(),
        },
        ArticleText {
            title: nfd(&text.title),
            lead: nfd(&text.lead),
            body: nfd(&text.body),
        },
    ]
}

/// The shipped rules, and rules with what the shipped ones lack: an exclusion, a negative
/// weight, a gap and a phrase two feeds share.
fn rule_sets() -> Vec<FeedSet> {
    let file = |slug: &str, rest: &str| {
        (
            PathBuf::from(format!("feeds/{slug}.toml")),
            format!(
                "slug = \"{slug}\"\ntitle = \"T\"\ntitle_en = \"T\"\ndescription = \"D\"\n{rest}"
            ),
        )
    };
    let custom = FeedSet::from_sources(vec![
        file(
            "crime",
            "keywords = [\"công an\", \"đối tượng\"]\nexclude = [\"biên phòng\"]\n\
             [classify]\nthreshold = 2\n[classify.terms]\n\"ma túy\" = 3\n\"lễ hội\" = -2\n",
        ),
        file(
            "party",
            "keywords = [\"Đảng ủy … Đồn\", \"chi bộ\", \"đối tượng\"]\n[classify]\nthreshold = 1.5\n",
        ),
    ])
    .unwrap();
    vec![feeds(), custom]
}

#[test]
fn classify_chooses_what_explain_explains() {
    let files = import::collect_files(&[
        repo().join("tests/classify/dev"),
        repo().join("tests/classify/test"),
    ])
    .unwrap();
    let (mut chosen, mut none, mut excluded) = (0, 0, 0);
    for feeds in rule_sets() {
        for path in &files {
            for draft in import::read_drafts(path, &feeds).unwrap() {
                let text = ArticleText::of(&draft.title, &draft.summary, &draft.body);
                for variant in variants(&text) {
                    let explanation = feeds.explain(&variant);
                    let categories = feeds.classify(&variant);
                    assert_eq!(categories, explanation.categories(), "{}", path.display());
                    chosen += categories.len();
                    none += usize::from(categories.is_empty());
                    excluded += explanation
                        .scores
                        .iter()
                        .filter(|s| s.excluded_by.is_some() && s.score >= s.threshold)
                        .count();
                }
            }
        }
    }
    // Every outcome is exercised: chosen, none, and kept out by an exclusion.
    assert!(
        chosen > 300 && none > 50,
        "{chosen} chosen, {none} with none"
    );
    assert!(excluded > 0, "no score was kept out by an exclusion");
}
