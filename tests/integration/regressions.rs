//! Replays tests/regressions/: inputs found by fuzzing, each of which must give `Ok` or a
//! typed error, never a panic (see tests/regressions/README.md).

use std::path::Path;

use userphoto::{ingest, ErrorKind, Options};

#[test]
fn every_regression_input_gets_a_typed_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| ingest(&bytes, &Options::default()));
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => assert_ne!(
                error.kind(),
                ErrorKind::Encode,
                "{}: {error}",
                path.display()
            ),
            Err(_) => panic!("{} made ingest panic", path.display()),
        }
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}
