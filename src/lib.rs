//! Shared helpers for the workspace's host-mode examples and benchmarks.

use std::path::PathBuf;

/// The shared test corpora (`../shared/corpus` beside the project), if present.
///
/// `OSP_CORPUS` overrides the location.
pub fn corpus_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OSP_CORPUS") {
        return Some(PathBuf::from(dir));
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}
