//! No circle between the files of a crate: the `crate::` and `super::` paths each file
//! of `src/` names (in `use` lines and inline) make a graph of file -> file, and that graph
//! must have no cycle, so data and knowledge flow one way (import -> store -> documents ->
//! render -> cache -> http). A cycle found is printed with the lines that make each edge.
//!
//! Each crate of the workspace is its own graph: the server crate's `src/` and each library
//! crate's (`crates/*/src`), where `crate::` means that crate's root.
//!
//! In the server crate, paths to the crate root are not edges: its `lib.rs` only declares
//! the modules and re-exports the library crates (`crate::store`, `crate::model`, ...), which
//! the compiler already keeps acyclic. In the library crates (vnfeed-store, vnfeed-check,
//! vnfeed-vietnamese) the root is a file like any other (`Root::Counted`): a child naming
//! `crate::Item` depends on `lib.rs`, which re-exports the backends and the rest, so the items
//! children share live in leaf files (`store.rs`, `error.rs`, `finding.rs`, `report.rs`) that
//! `lib.rs` re-exports and the children name directly (`crate::store::Store`).
//!
//! A module declaring its children (`mod older;`) is not an edge either; a parent
//! that *uses* a child is. Comments are skipped (doc links are not dependencies); code in an
//! inline module (`mod tests { ... }`) is read with its `super` one level down.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A file's module path, e.g. `["http", "routes"]`; the crate root is `[]`.
type Module = Vec<String>;

/// Where an edge comes from: the file and line that name the other module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    line: usize,
    text: String,
}

type Graph = BTreeMap<Module, BTreeMap<Module, Vec<Site>>>;

/// Whether a path to the crate root (`crate::Item`, `super::Item` from a top-level file) is
/// an edge to `lib.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    /// Not an edge: `lib.rs` only declares and re-exports the library crates (the server
    /// crate).
    Skipped,
    /// `lib.rs` is a file like the others: its items are depended on.
    Counted,
}

fn module_of(relative: &Path) -> Option<Module> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    let stem = file.strip_suffix(".rs")?;
    match stem {
        "lib" if parts.is_empty() => {}
        "main" if parts.is_empty() => return None, // the binary: a crate of its own
        "mod" => {}
        _ => parts.push(stem.to_string()),
    }
    Some(parts)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `a::{b, c::{d, self}}` -> `a::b`, `a::c::d`, `a::c`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|item| !item.trim().is_empty())
        .flat_map(expand)
        .map(|path| match path.as_str() {
            "self" => prefix.to_string(),
            _ if prefix.is_empty() => path,
            _ => format!("{prefix}::{path}"),
        })
        .collect()
}

/// The paths (`a::b`, `crate::a`, `super::a`) in a line of code outside `use` statements.
fn inline_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("::") {
        let at = from + found;
        // The start of the path this `::` is in; a path already taken is skipped.
        let start = code[..at]
            .rfind(|c: char| !(is_ident(c) || c == ':'))
            .map_or(0, |i| i + 1);
        let end = code[at..]
            .find(|c: char| !(is_ident(c) || c == ':'))
            .map_or(code.len(), |i| at + i);
        let path = code[start..end].trim_end_matches(':');
        let first = path.split("::").next().unwrap_or("");
        if !first.is_empty() && !first.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(path.to_string());
        }
        from = end.max(at + 2);
    }
    out
}

/// The module a path names: `crate::a::b::Item` is `a::b` if that is a file's module,
/// else `a`, and so on; `super` and `self` count from `here`, and a path starting with the
/// name of a child module of `here` is relative. Any other path (std, another crate, a
/// local name) names no file.
fn resolve(path: &str, here: &Module, modules: &BTreeSet<Module>) -> Option<Module> {
    let mut segments = path.split("::").map(str::trim).peekable();
    let mut base: Module = match segments.peek().copied() {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("super") => {
            let mut base = here.clone();
            while segments.peek() == Some(&"super") {
                segments.next();
                base.pop();
            }
            base
        }
        Some("self") => {
            segments.next();
            here.clone()
        }
        Some(first) => {
            let mut child = here.clone();
            child.push(first.to_string());
            if !modules.contains(&child) {
                return None;
            }
            here.clone()
        }
        None => return None,
    };
    for segment in segments {
        let mut next = base.clone();
        next.push(segment.to_string());
        if !modules.contains(&next) {
            break;
        }
        base = next;
    }
    Some(base)
}

/// The graph of the files given as (path relative to `src/`, text).
fn graph_of(files: &[(PathBuf, String)], root: Root) -> Graph {
    let modules: BTreeSet<Module> = files.iter().filter_map(|(p, _)| module_of(p)).collect();
    let mut graph = Graph::new();
    for (path, text) in files {
        let Some(module) = module_of(path) else {
            continue;
        };
        let edges = graph.entry(module.clone()).or_default();
        let mut inline_module = false;
        // A `use` statement spread over several lines, gathered until its `;`.
        let mut statement: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split("//").next().unwrap_or("");
            if raw.trim_start().starts_with("//") {
                continue;
            }
            if raw.starts_with("mod ") || raw.starts_with("pub mod ") {
                inline_module |= raw.trim_end().ends_with('{');
            } else if raw == "}" {
                inline_module = false;
            }
            // Inside `mod tests { ... }`, `super` is this file's own module.
            let here = if inline_module {
                let mut inner = module.clone();
                inner.push("(inline)".to_string());
                inner
            } else {
                module.clone()
            };
            let mut paths = Vec::new();
            let code = line.trim();
            if let Some(mut tree) = statement.take() {
                tree.push_str(code);
                if tree.contains(';') {
                    paths.extend(expand(tree.trim_end_matches(';')));
                } else {
                    statement = Some(tree);
                    continue;
                }
            } else if let Some(tree) = code
                .strip_prefix("pub use ")
                .or_else(|| code.strip_prefix("pub(crate) use "))
                .or_else(|| code.strip_prefix("use "))
            {
                if tree.contains(';') {
                    paths.extend(expand(tree.trim_end_matches(';')));
                } else {
                    statement = Some(tree.to_string());
                    continue;
                }
            } else {
                paths.extend(inline_paths(code));
            }
            for path in paths {
                let Some(target) = resolve(&path, &here, &modules) else {
                    continue;
                };
                if (target.is_empty() && root == Root::Skipped) || target == module {
                    continue;
                }
                edges.entry(target).or_default().push(Site {
                    line: n + 1,
                    text: raw.trim().to_string(),
                });
            }
        }
    }
    graph
}

/// The strongly connected components with more than one file (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Module) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flat_map(|e| e.keys()) {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found.sort();
    walk.found
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}

/// Every cycle, each with the edges inside it and the lines that make them.
fn report(graph: &Graph) -> Option<String> {
    let found = cycles(graph);
    if found.is_empty() {
        return None;
    }
    let mut out = String::new();
    for component in &found {
        let members: BTreeSet<&Module> = component.iter().collect();
        out.push_str(&format!(
            "cycle: {}\n",
            component.iter().map(name).collect::<Vec<_>>().join(", ")
        ));
        for from in component {
            for (to, sites) in &graph[from] {
                if members.contains(to) {
                    let site = &sites[0];
                    out.push_str(&format!(
                        "  {} -> {}   (line {}: {})\n",
                        name(from),
                        name(to),
                        site.line,
                        site.text
                    ));
                }
            }
        }
    }
    Some(out)
}

fn read_src(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_src(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.strip_prefix(root).unwrap().to_path_buf(), text));
        }
    }
}

/// Reads a crate's `src/` (relative to the workspace root), checks that enough of it was
/// read for the check to mean something, and fails with every cycle found.
fn assert_no_cycle(src: &str, root: Root, min_files: usize, min_edges: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(src);
    let mut files = Vec::new();
    read_src(&dir, &dir, &mut files);
    let graph = graph_of(&files, root);
    let edges: usize = graph.values().map(BTreeMap::len).sum();
    assert!(
        graph.len() >= min_files && edges >= min_edges,
        "the graph of {src} was read: {} files, {edges} edges",
        graph.len()
    );
    if let Some(cycles) = report(&graph) {
        panic!("files of {src} that depend on each other:\n{cycles}");
    }
}

#[test]
fn no_file_of_src_depends_on_itself_through_others() {
    assert_no_cycle("src", Root::Skipped, 31, 51);
}

#[test]
fn no_file_of_vnfeed_store_depends_on_itself_through_others() {
    assert_no_cycle("crates/vnfeed-store/src", Root::Counted, 28, 120);
}

#[test]
fn no_file_of_vnfeed_vietnamese_depends_on_itself_through_others() {
    assert_no_cycle("crates/vnfeed-vietnamese/src", Root::Counted, 6, 2);
}

#[test]
fn no_file_of_vnfeed_check_depends_on_itself_through_others() {
    assert_no_cycle("crates/vnfeed-check/src", Root::Counted, 27, 30);
}

/// The finder finds what it must: a cycle through `use` groups, `super` and an inline path.
#[test]
fn a_cycle_is_found_and_shown_with_its_lines() {
    let file = |path: &str, text: &str| (PathBuf::from(path), text.to_string());
    let files = [
        file("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
        file("a/mod.rs", "mod inner;\nuse crate::{b::Thing, c};\n"),
        file("a/inner.rs", "// use crate::c; is a comment\n"),
        file(
            "b.rs",
            "pub struct Thing;\nfn f() -> crate::c::Other { todo!() }\n",
        ),
        file(
            "c.rs",
            "use super::a::inner::{\n    self,\n};\nmod tests {\n    use super::*;\n}\n",
        ),
    ];
    let graph = graph_of(&files, Root::Skipped);
    let module = |s: &str| s.split("::").map(str::to_string).collect::<Module>();
    assert_eq!(
        graph[&module("a")].keys().cloned().collect::<Vec<_>>(),
        vec![module("b"), module("c")]
    );
    assert!(
        graph[&module("a::inner")].is_empty(),
        "comments are skipped"
    );
    assert_eq!(
        graph[&module("c")].keys().cloned().collect::<Vec<_>>(),
        vec![module("a::inner")],
        "a multi-line `use` resolves; `super::*` in `mod tests` is the file itself"
    );
    assert_eq!(cycles(&graph), Vec::<Vec<Module>>::new());

    let mut with_cycle = files.to_vec();
    with_cycle[2] = file("a/inner.rs", "use super::super::b;\n");
    with_cycle[3] = file("b.rs", "fn f() -> crate::c::Other { todo!() }\n");
    let graph = graph_of(&with_cycle, Root::Skipped);
    assert_eq!(
        cycles(&graph),
        vec![vec![module("a::inner"), module("b"), module("c")]]
    );
    let shown = report(&graph).unwrap();
    assert!(
        shown.contains("b -> c   (line 1: fn f() -> crate::c::Other { todo!() })"),
        "{shown}"
    );
}

/// Where the root counts, a child naming an item of `lib.rs` that uses the child is a cycle;
/// where it is skipped, it is not.
#[test]
fn the_crate_root_is_a_file_where_it_counts() {
    let file = |path: &str, text: &str| (PathBuf::from(path), text.to_string());
    let files = [
        file(
            "lib.rs",
            "mod a;\npub struct Finding;\npub fn check() { a::check() }\n",
        ),
        file("a.rs", "use super::Finding;\npub fn check() {}\n"),
    ];
    assert_eq!(
        cycles(&graph_of(&files, Root::Skipped)),
        Vec::<Vec<Module>>::new()
    );
    let graph = graph_of(&files, Root::Counted);
    assert_eq!(
        cycles(&graph),
        vec![vec![Vec::new(), vec!["a".to_string()]]]
    );
    let shown = report(&graph).unwrap();
    assert!(
        shown.contains("a -> crate   (line 1: use super::Finding;)"),
        "{shown}"
    );
}
