//! The JSON output is a public interface: its schema is generated from the
//! model's types, committed in docs/, and every capture's output validates
//! against it.

mod common;

#[test]
fn committed_schema_is_fresh() {
    let committed = std::fs::read_to_string(common::root().join("docs/tlsdiag.schema.json"))
        .unwrap_or_default();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap_or_default();
    assert!(
        committed == tlsdiag::model::json_schema(),
        "docs/tlsdiag.schema.json is out of date: run `cargo run -- schema > docs/tlsdiag.schema.json` \
         and say in docs/json-schema.md what changed (bump SCHEMA_VERSION if it is incompatible)"
    );
}

#[test]
fn every_capture_output_validates_against_the_schema() {
    let schema = tlsdiag::model::json_schema();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut checked = 0;
    let mut dir: Vec<_> = std::fs::read_dir(common::root().join("captures"))
        .expect("captures/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    dir.sort();
    for path in dir {
        let out = common::analyze_json(&path, &[]);
        let errors: Vec<String> = validator
            .iter_errors(&out)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        assert_eq!(out["schema_version"], tlsdiag::model::SCHEMA_VERSION);
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} captures");
}
