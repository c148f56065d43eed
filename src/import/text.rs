//! The plain-text article layout newsrooms hand us: a title line, a dateline, paragraphs
//! separated by blank lines, image captions written twice (the second time with a final
//! period), the author alone on a short last line, and optionally the keywords alone on a
//! line of their own anywhere after the dateline: `Từ khóa: biển đông, kinh tế`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::model::Block;
use crate::vietnamese::dateline::{self, DatelineError};
use crate::vietnamese::text::cleaned_line;

/// A line of the file: its 1-based number and its text, cleaned and folded.
type Line<'a> = (usize, &'a str);

/// An article read from the text layout, before it is classified and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextArticle {
    pub title: String,
    pub published: DateTime<Utc>,
    pub lead: String,
    pub body: Vec<Block>,
    pub author: Option<String>,
    /// From the `Từ khóa:` line, normalized (see `import::tags`); empty without one.
    pub tags: Vec<String>,
}

/// Why a text file is not an article, with the 1-based line it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct TextError {
    pub line: usize,
    pub reason: String,
}

fn fail(line: usize, reason: impl Into<String>) -> TextError {
    TextError {
        line,
        reason: reason.into(),
    }
}

/// Longest line, in characters, still taken for an author's name.
const AUTHOR_MAX_CHARS: usize = 60;
const AUTHOR_MAX_WORDS: usize = 6;

/// How the keyword line starts (both accent placements of "khóa" are in use).
const KEYWORD_PREFIXES: [&str; 2] = ["Từ khóa:", "Từ khoá:"];

/// Parses already-decoded, NFC text.
pub fn parse(text: &str) -> Result<TextArticle, TextError> {
    // Borrowed from `text` but where cleaning changed a line: no copy of most lines.
    let cleaned: Vec<(usize, Cow<str>)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, cleaned_line(l)))
        .collect();
    let lines: Vec<Line> = cleaned.iter().map(|(n, l)| (*n, l.as_ref())).collect();
    let mut rest = lines.iter().skip_while(|(_, l)| l.is_empty());
    let (title_line, title) = rest
        .next()
        .ok_or_else(|| fail(1, "no title: the file has no text"))?;
    let (date_line, date_text) = rest
        .by_ref()
        .find(|(_, l)| !l.is_empty())
        .ok_or_else(|| fail(title_line + 1, "no dateline after the title, and no body"))?;
    let published = dateline::parse(date_text).map_err(|e| match e {
        DatelineError::Unrecognized(_) if !dateline::looks_like_dateline(date_text) => fail(
            *date_line,
            format!(
                "expected a dateline such as `07:00 22/04/2024` after the title, found `{}`",
                shorten(date_text)
            ),
        ),
        other => fail(*date_line, other.to_string()),
    })?;

    let mut groups = paragraphs(rest);
    let tags = keywords(&mut groups)?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut author = None;
    let last = groups.len().saturating_sub(1);
    for (i, group) in groups.iter().enumerate() {
        if i == last && i > 0 && group.len() == 1 && is_author(group[0].1) {
            author = Some(group[0].1.to_string());
            continue;
        }
        blocks.extend(blocks_of(group));
    }
    let lead = blocks
        .iter()
        .find_map(|b| match b {
            Block::Paragraph { text } => Some(text.clone()),
            _ => None,
        })
        .ok_or_else(|| fail(date_line + 1, "no paragraph after the dateline"))?;
    Ok(TextArticle {
        title: title.to_string(),
        published,
        lead,
        body: blocks,
        author,
        tags,
    })
}

/// Takes the keyword line out of the groups (a group of that one line) and reads its tags.
fn keywords(groups: &mut Vec<Vec<Line>>) -> Result<Vec<String>, TextError> {
    let keyword_line = |group: &Vec<Line>| {
        let [(line, text)] = group.as_slice() else {
            return None;
        };
        KEYWORD_PREFIXES
            .iter()
            .find_map(|p| text.strip_prefix(p))
            .map(|list| (*line, list.to_string()))
    };
    let Some(at) = groups.iter().position(|g| keyword_line(g).is_some()) else {
        return Ok(Vec::new());
    };
    let (line, list) = keyword_line(&groups.remove(at)).expect("found above");
    if groups.iter().any(|g| keyword_line(g).is_some()) {
        return Err(fail(line, "more than one `Từ khóa:` line"));
    }
    super::tags::normalize(list.split(',')).map_err(|e| fail(line, format!("`Từ khóa:` {e}")))
}

/// Groups of consecutive non-blank lines.
fn paragraphs<'a>(lines: impl Iterator<Item = &'a Line<'a>>) -> Vec<Vec<Line<'a>>> {
    let mut groups: Vec<Vec<Line>> = Vec::new();
    let mut current = Vec::new();
    for (n, line) in lines {
        if line.is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
        } else {
            current.push((*n, *line));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// A line followed by itself plus a final period is an image caption; the second,
/// punctuated copy is the one kept. Other lines of a group form one paragraph.
fn blocks_of(group: &[Line]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut text: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < group.len() {
        let line = group[i].1;
        if let Some(next) = group.get(i + 1).map(|(_, l)| *l)
            && is_caption_pair(line, next)
        {
            if !text.is_empty() {
                out.push(Block::Paragraph {
                    text: text.join(" "),
                });
                text.clear();
            }
            out.push(Block::Figure {
                caption: next.to_string(),
                src: None,
            });
            i += 2;
            continue;
        }
        text.push(line);
        i += 1;
    }
    if !text.is_empty() {
        out.push(Block::Paragraph {
            text: text.join(" "),
        });
    }
    out
}

fn is_caption_pair(first: &str, second: &str) -> bool {
    second
        .strip_suffix('.')
        .is_some_and(|s| s.trim_end() == first)
        && !first.ends_with('.')
}

fn is_author(line: &str) -> bool {
    let ends_with_punctuation = line
        .chars()
        .last()
        .is_some_and(|c| ".!?…:;,\"”’)]»".contains(c));
    line.chars().count() <= AUTHOR_MAX_CHARS
        && line.split_whitespace().count() <= AUTHOR_MAX_WORDS
        && !ends_with_punctuation
}

fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "Tiêu đề thử nghiệm\n\n07:00 22/04/2024\n\nĐoạn mở đầu của bài.\n\nẢnh minh họa\nẢnh minh họa.\n\nĐoạn thứ hai\nvẫn là đoạn thứ hai.\n\nMinh Khôi\n";

    #[test]
    fn reads_every_part_of_the_layout() {
        let a = parse(ARTICLE).unwrap();
        assert_eq!(a.title, "Tiêu đề thử nghiệm");
        assert_eq!(dateline::rfc3339(a.published), "2024-04-22T07:00:00+07:00");
        assert_eq!(a.lead, "Đoạn mở đầu của bài.");
        assert_eq!(a.author.as_deref(), Some("Minh Khôi"));
        assert_eq!(
            a.body,
            vec![
                Block::Paragraph {
                    text: "Đoạn mở đầu của bài.".into()
                },
                Block::Figure {
                    caption: "Ảnh minh họa.".into(),
                    src: None
                },
                Block::Paragraph {
                    text: "Đoạn thứ hai vẫn là đoạn thứ hai.".into()
                },
            ]
        );
    }

    #[test]
    fn a_keyword_line_gives_tags_and_leaves_the_author_and_body_alone() {
        let text = "Tiêu đề\n\n22/04/2024\n\nĐoạn một.\n\nNgọc Thư\n\nTừ khóa: Biển Đông, kinh tế ,, Biển  đông\n";
        let a = parse(text).unwrap();
        assert_eq!(a.tags, ["biển đông", "kinh tế"]);
        assert_eq!(a.author.as_deref(), Some("Ngọc Thư"));
        assert_eq!(a.body.len(), 1);
        let without = parse("Tiêu đề\n\n22/04/2024\n\nĐoạn một.\n").unwrap();
        assert!(without.tags.is_empty());
    }

    #[test]
    fn a_bad_keyword_line_is_named_by_its_line() {
        let err = parse("Tiêu đề\n\n22/04/2024\n\nĐoạn một.\n\nTừ khoá: ###\n").unwrap_err();
        assert_eq!(err.line, 7);
        assert!(err.reason.contains("###"), "{}", err.reason);
    }

    #[test]
    fn a_last_sentence_is_not_an_author() {
        let text = "Tiêu đề\n\n22/04/2024\n\nĐoạn một.\n\nĐoạn cuối có dấu chấm.\n";
        let a = parse(text).unwrap();
        assert_eq!(a.author, None);
        assert_eq!(a.body.len(), 2);
    }

    #[test]
    fn names_the_line_of_a_bad_dateline() {
        let err = parse("Tiêu đề\n\n10:00 31/02/2024\n\nĐoạn.\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.reason.contains("31/02/2024"), "{}", err.reason);
        let err = parse("Tiêu đề\nĐoạn văn không có ngày tháng.\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.reason.starts_with("expected a dateline"),
            "{}",
            err.reason
        );
        assert_eq!(parse("\n\n").unwrap_err().line, 1);
    }

    #[test]
    fn crlf_and_windows_line_ends_are_read_alike() {
        let a = parse(&ARTICLE.replace('\n', "\r\n")).unwrap();
        assert_eq!(a, parse(ARTICLE).unwrap());
    }
}
