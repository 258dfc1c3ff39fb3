//! The module graph: layers point one way (cli → commands → features → data → segment, models,
//! output, error), with no loop and nothing below `commands` reaching up into `cli` or
//! `commands`. Read from the `use crate::…` paths of the sources, so a new import that bends the
//! structure fails here rather than in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level module of a source file: `src/data/load.rs` → `data`, `src/cli.rs` → `cli`.
fn top_module(relative: &Path) -> String {
    let first = relative.components().next().unwrap();
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// Every top-level module a source text names through `crate::`, also inside `use crate::{…}`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        // A path names one module; only a `{…}` group names several (the rest of the file
        // is not part of the path: `, report` further on is a field, not a module).
        let group = match rest.strip_prefix('{') {
            Some(inside) => inside.split('}').next().unwrap_or(""),
            None => rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or(""),
        };
        for part in group.split(',') {
            let name: String = part
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                named.insert(name);
            }
        }
    }
    named
}

/// Which top-level modules each one imports (itself left out).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = top_module(path.strip_prefix(&src).unwrap());
                let text = std::fs::read_to_string(&path).unwrap();
                let imports = graph.entry(module.clone()).or_default();
                imports.extend(named_modules(&text).into_iter().filter(|m| *m != module));
            }
        }
    }
    graph
}

#[test]
fn nothing_below_commands_imports_cli_or_commands() {
    for (module, imports) in module_graph() {
        if ["main", "lib", "cli", "commands"].contains(&module.as_str()) {
            continue;
        }
        for upper in ["cli", "commands"] {
            assert!(!imports.contains(upper), "{module} imports {upper}");
        }
    }
}

#[test]
fn the_module_graph_has_no_loop() {
    let graph = module_graph();
    // Depth-first search; a module met again while still on the path closes a loop.
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(module) {
            return;
        }
        if let Some(at) = path.iter().position(|m| m == module) {
            panic!("import loop: {} → {module}", path[at..].join(" → "));
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
        done.insert(module.to_string());
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done);
    }
    assert!(
        done.contains("data") && done.contains("commands"),
        "{graph:?}"
    );
}

#[test]
fn the_graph_reader_sees_grouped_imports() {
    let text =
        "use crate::{cli, output::Log};\nuse crate::data::load;\nlet x = (fit.params, report);";
    let named: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(named, ["cli", "data", "output"]);
}
