//! The architecture's rules that the source tree itself shows, checked over every function crate
//! and the core (ARCHITECTURE.md, "Invariants"). Behaviour that only running shows (idempotent
//! calls, dry runs, hostile input) is checked by the tests ARCHITECTURE.md names beside each rule.

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// Every function crate's `src/`.
fn functions() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root().join("functions"))
        .expect("functions/ is readable")
        .map(|e| e.expect("a directory entry").path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 3, "found only {dirs:?}");
    dirs
}

/// A test file of `src`: `tests.rs`, anything under a `tests/` folder, or `testing.rs`.
fn is_test(src: &Path, path: &Path) -> bool {
    let inside = path.strip_prefix(src).unwrap_or(path);
    inside.components().any(|c| c.as_os_str() == "tests")
        || ["tests.rs", "testing.rs"]
            .contains(&inside.file_name().and_then(|n| n.to_str()).unwrap_or(""))
}

/// The non-test `.rs` files of module `name` under `src`: `name.rs` and everything in `name/`.
fn module(src: &Path, name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{name}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let mut dirs = vec![src.join(name)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.retain(|f| !is_test(src, f));
    files
}

/// The code of `path` without its comments, line by line.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.split("//").next().unwrap_or("").to_owned()))
        .collect()
}

/// Each line of `files` that contains one of `words`, as `file:line: text`.
fn mentions(files: &[PathBuf], words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        for (n, line) in code_lines(file) {
            if let Some(word) = words.iter().find(|w| line.contains(**w)) {
                found.push(format!(
                    "{}:{n}: `{word}` in {}",
                    file.display(),
                    line.trim()
                ));
            }
        }
    }
    found
}

/// What I/O looks like in Rust source: clients (the SDK crates; aws-smithy-types is plain data and
/// allowed), runtimes, awaiting, files, sockets, the clock.
const IO: &[&str] = &[
    "aws_sdk_",
    "aws_smithy_runtime",
    "aws_smithy_http",
    "aws_smithy_async",
    "aws_config",
    "tokio",
    "lambda_runtime",
    ".await",
    "async ",
    "std::fs",
    "std::net",
    "std::env",
    "std::process",
    "SystemTime",
    "Instant::now",
    "now_secs",
];

/// The files of modules `names` in every function crate.
fn function_modules(names: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for src in functions() {
        for name in names {
            files.extend(module(&src, name));
        }
    }
    files
}

/// Fails naming every line of `files` that shows I/O.
fn assert_no_io(files: &[PathBuf]) {
    let found = mentions(files, IO);
    assert!(
        found.is_empty(),
        "I/O in a pure module:\n{}",
        found.join("\n")
    );
}

#[test]
fn plans_and_models_do_no_io() {
    let files = function_modules(&["model", "plan", "policy", "config", "ask"]);
    assert!(files.len() >= 6, "found only {files:?}");
    assert_no_io(&files);
}

#[test]
fn the_core_report_and_trigger_models_do_no_io() {
    let src = root().join("shared/src");
    let files: Vec<PathBuf> = [
        "report", "trigger", "arn", "ids", "enums", "settings", "fleet", "drs", "backup", "mgn",
    ]
    .iter()
    .flat_map(|name| module(&src, name))
    .collect();
    assert_no_io(&files);
}

#[test]
fn observe_and_plan_do_not_import_each_other() {
    let mut found = Vec::new();
    for src in functions() {
        found.extend(mentions(
            &module(&src, "plan"),
            &["crate::observe", "observe::"],
        ));
        found.extend(mentions(
            &module(&src, "observe"),
            &["crate::plan", "plan::"],
        ));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn no_apply_step_can_be_told_to_dry_run() {
    let found = mentions(&function_modules(&["apply"]), &["dry_run", "dryRun"]);
    assert!(
        found.is_empty(),
        "the core decides the dry run and never calls apply in one:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_function_is_served_by_the_core_entry_point() {
    for src in functions() {
        let main = fs::read_to_string(src.join("main.rs")).expect("main.rs");
        assert!(
            main.contains("dr_core::function::serve("),
            "{}: main does not run dr_core::function::serve",
            src.display()
        );
        assert!(
            !main.contains("lambda_runtime::run("),
            "{}: main runs the Lambda runtime itself",
            src.display()
        );
    }
}

#[test]
fn arns_are_parsed_by_the_core_type_only() {
    let mut files = Vec::new();
    for src in functions() {
        for name in [
            "model", "plan", "policy", "config", "observe", "apply", "handler",
        ] {
            files.extend(module(&src, name));
        }
    }
    let found = mentions(&files, &["split(':')", "splitn(6, ':')"]);
    assert!(
        found.is_empty(),
        "hand-split ARNs (use dr_core::arn::Arn):\n{}",
        found.join("\n")
    );
}
