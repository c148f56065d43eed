//! Where the checks put their findings: byte offsets in one document turned into 1-based
//! lines and character columns (`LineIndex`) and collected as `Finding`s (`Sink`). Every
//! format check writes through this leaf.

use crate::finding::Finding;
use crate::rules::Rule;

/// Maps byte offsets in a document to 1-based lines and character columns, the way
/// roxmltree counts them, without rescanning the text for every finding.
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn position(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let column = self.text[self.starts[line]..offset].chars().count() + 1;
        (line as u32 + 1, column as u32)
    }

    /// The byte offset of a 1-based line and byte column (as serde_json reports them).
    pub fn offset(&self, line: usize, byte_column: usize) -> usize {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        (start + byte_column.saturating_sub(1)).min(self.text.len())
    }
}

/// Collects findings against byte offsets of one document.
pub(crate) struct Sink<'t> {
    index: LineIndex<'t>,
    findings: Vec<Finding>,
}

impl<'t> Sink<'t> {
    pub fn new(text: &'t str) -> Sink<'t> {
        Sink {
            index: LineIndex::new(text),
            findings: Vec::new(),
        }
    }

    pub fn at(&mut self, offset: usize, rule: Rule, message: impl Into<String>) {
        let (line, column) = self.index.position(offset);
        self.findings
            .push(Finding::new(rule, line, column, message));
    }

    pub fn line_of(&self, offset: usize) -> u32 {
        self.index.position(offset).0
    }

    pub fn index(&self) -> &LineIndex<'t> {
        &self.index
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_characters_not_bytes() {
        let text = "ab\nĐảng x\n\nz";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        let x = text.find('x').unwrap();
        assert_eq!(index.position(x), (2, 6));
        assert_eq!(index.position(text.len()), (4, 2));
        let z = text.find('z').unwrap();
        assert_eq!(index.position(z), (4, 1));
    }
}
