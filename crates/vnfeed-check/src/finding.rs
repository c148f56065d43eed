//! One finding: a rule broken at a line and column, with its severity and message, and
//! how it prints (`line:column: severity code: message`). Every check reports through this
//! type, so it lives in a leaf of its own that `lib.rs` re-exports.

use serde::Serialize;

use crate::rules::{Rule, Severity};

/// One problem, where it is. `line` and `column` are 1-based (columns count characters);
/// both are 0 for findings about the HTTP exchange or the input as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub line: u32,
    pub column: u32,
    pub severity: Severity,
    #[serde(rename = "code", serialize_with = "serialize_rule")]
    pub rule: Rule,
    pub message: String,
}

fn serialize_rule<S: serde::Serializer>(rule: &Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.code())
}

impl Finding {
    pub fn new(rule: Rule, line: u32, column: u32, message: impl Into<String>) -> Finding {
        Finding {
            line,
            column,
            severity: rule.severity(),
            rule,
            message: message.into(),
        }
    }

    /// A finding about the input or the exchange, not a place in the document.
    pub fn global(rule: Rule, message: impl Into<String>) -> Finding {
        Finding::new(rule, 0, 0, message)
    }
}

/// `line:column: severity code: message`, on one line.
impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} {}: {}",
            self.line,
            self.column,
            self.severity.as_str(),
            self.rule.code(),
            self.message.replace('\n', " ")
        )
    }
}
