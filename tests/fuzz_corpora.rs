//! Replays every committed fuzz corpus file through the same function its cargo-fuzz
//! target calls, so a plain `cargo test` on stable covers what the fuzzer found.
//!
//! `fuzz/corpus/<target>/` holds the seeds (and what a fuzz run kept worth keeping);
//! `fuzz/regressions/<target>/` holds inputs that once crashed a target and were fixed.

use std::fs;
use std::path::{Path, PathBuf};

use sansftp::fuzzing::TARGETS;

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_a_seed_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (name, _) in TARGETS {
        let seeds = files_in(&root.join(name));
        assert!(
            !seeds.is_empty(),
            "fuzz/corpus/{name}/ is empty: every fuzz target needs committed seeds"
        );
        let target =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fuzz/fuzz_targets/{name}.rs"));
        assert!(target.is_file(), "no cargo-fuzz target file for {name}");
    }
}

#[test]
fn corpora_and_regressions_replay_without_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (name, run) in TARGETS {
        for kind in ["corpus", "regressions"] {
            for file in files_in(&root.join(kind).join(name)) {
                let data = fs::read(&file).expect("corpus file is readable");
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(
                    outcome.is_ok(),
                    "fuzz target {name} panicked on {}",
                    file.display()
                );
                replayed += 1;
            }
        }
    }
    assert!(replayed > 0, "no corpus file was replayed");
    eprintln!("replayed {replayed} corpus files");
}
