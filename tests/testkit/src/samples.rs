//! The sample events of the repository: the project's own (`events/`) and AWS's documented ones
//! (`tests/aws-events/`), found by walking their folders so that a new file is never left out.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// `events/`: the project's sample events, one folder per function.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

/// `tests/aws-events/`: AWS's documented sample events, one folder per source.
pub fn aws_events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../aws-events")
}

/// Every `.json` file below `dir`, at any depth, by its path relative to `dir`, sorted by it.
pub fn json_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|x| x == "json") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths)?;
    let mut out: Vec<(String, PathBuf)> = paths
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            (name, path)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Reads the JSON file at `path`.
pub fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every sample below `dir` with its JSON, sorted by relative path; panics naming a bad file.
pub fn samples_in(dir: &Path) -> Vec<(String, Value)> {
    json_files(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|(name, path)| (name, read_json(&path).unwrap_or_else(|e| panic!("{e}"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sample_folders_are_found_with_relative_sorted_names() {
        for dir in [events_dir(), aws_events_dir()] {
            let files = json_files(&dir).unwrap();
            assert!(files.len() > 10, "{}: {files:?}", dir.display());
            let names: Vec<&String> = files.iter().map(|(n, _)| n).collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted);
            assert!(names
                .iter()
                .all(|n| n.ends_with(".json") && !n.starts_with('/')));
        }
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_it() {
        let err = json_files(Path::new("/nonexistent/samples")).unwrap_err();
        assert!(err.starts_with("/nonexistent/samples: "), "{err}");
    }
}
