//! Typed access to JSON members for the JSON Feed rules: each accessor returns the value
//! when it has the type the spec gives it, and reports `json-type` (or a missing or repeated
//! member) when it does not. Owns `JsonFeed`, the walk's state (the sink and the relative
//! references seen) that these accessors and the rules in `json_feed` share.

use jsonc_parser::ast::{Object, ObjectProp, Value};
use jsonc_parser::common::Ranged;

use crate::html::RelativeRefs;
use crate::rules::Rule;
use crate::sink::Sink;

/// One JSON Feed document being walked: where findings go and the relative references seen.
pub(super) struct JsonFeed<'s, 't> {
    pub(super) sink: &'s mut Sink<'t>,
    pub(super) refs: RelativeRefs,
}

pub(super) fn kind(v: &Value<'_>) -> &'static str {
    match v {
        Value::StringLit(_) => "a string",
        Value::NumberLit(_) => "a number",
        Value::BooleanLit(_) => "true or false",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::NullKeyword(_) => "null",
    }
}

impl JsonFeed<'_, '_> {
    pub(super) fn required(&mut self, obj: &Object<'_>, name: &str, label: &str) {
        if get(obj, name).is_none() {
            self.sink.at(
                obj.start(),
                Rule::JsonMissingField,
                format!("{label} has no `{name}`"),
            );
        }
    }

    /// The member's string, or a type finding.
    pub(super) fn string<'p>(&mut self, p: &'p ObjectProp<'_>, name: &str) -> Option<&'p str> {
        match &p.value {
            Value::StringLit(s) => Some(s.value.as_ref()),
            _ => {
                self.wrong_type(p, name, "a string");
                None
            }
        }
    }

    pub(super) fn array<'p, 'a>(
        &mut self,
        p: &'p ObjectProp<'a>,
        name: &str,
    ) -> Option<&'p [Value<'a>]> {
        match &p.value {
            Value::Array(a) => Some(&a.elements),
            _ => {
                self.wrong_type(p, name, "an array");
                None
            }
        }
    }

    pub(super) fn array_of_objects<'p, 'a>(
        &mut self,
        p: &'p ObjectProp<'a>,
        name: &str,
    ) -> Vec<&'p Object<'a>> {
        let mut out = Vec::new();
        for v in self.array(p, name).unwrap_or_default() {
            match v {
                Value::Object(o) => out.push(o),
                other => self.sink.at(
                    other.start(),
                    Rule::JsonType,
                    format!("each of {name} is an object, not {}", kind(other)),
                ),
            }
        }
        out
    }

    pub(super) fn wrong_type(&mut self, p: &ObjectProp<'_>, name: &str, expected: &str) {
        self.sink.at(
            p.value.start(),
            Rule::JsonType,
            format!("`{name}` is {expected}, not {}", kind(&p.value)),
        );
    }

    pub(super) fn duplicates(&mut self, obj: &Object<'_>, label: &str) {
        let mut seen: Vec<&str> = Vec::new();
        for p in &obj.properties {
            let name = p.name.as_str();
            if seen.contains(&name) {
                self.sink.at(
                    p.start(),
                    Rule::DuplicateElement,
                    format!("{label} has `{name}` twice"),
                );
            }
            seen.push(name);
        }
    }
}

pub(super) fn get<'o, 'a>(obj: &'o Object<'a>, name: &str) -> Option<&'o ObjectProp<'a>> {
    obj.properties.iter().find(|p| p.name.as_str() == name)
}
