//! Registry invariants: ids unique and well-formed, texts follow the
//! conventions, docs/rules.md is what the registry generates.

mod common;

use tlsdiag::rules::RULES;

#[test]
fn rule_ids_are_unique_and_kebab_case() {
    let mut seen = std::collections::HashSet::new();
    for r in RULES {
        assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
        assert!(
            r.id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !r.id.starts_with('-')
                && !r.id.ends_with('-'),
            "rule id {} is not kebab-case",
            r.id
        );
    }
}

#[test]
fn rule_texts_follow_conventions() {
    for r in RULES {
        assert!(
            !r.title.ends_with('.'),
            "{}: title ends with a period",
            r.id
        );
        assert!(
            r.title.chars().next().is_some_and(|c| !c.is_uppercase()),
            "{}: title starts with a capital",
            r.id
        );
        assert!(
            r.explanation.len() >= 80,
            "{}: explanation too short to help anyone",
            r.id
        );
        assert!(
            r.remediation.len() >= 40,
            "{}: remediation too short to help anyone",
            r.id
        );
    }
}

#[test]
fn the_catalog_ids_are_all_registered() {
    // The public ids of the failure catalog (../shared/docs/failure-catalog.md) that
    // this version implements; decryption ids (keys-missing, keys-wrong) come with --keylog.
    let catalog = include_str!("data/catalog-ids.txt");
    let missing: Vec<&str> = catalog
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|id| !RULES.iter().any(|r| r.id == *id))
        .collect();
    assert!(
        missing.is_empty(),
        "catalog rules not implemented: {missing:?}"
    );
}

#[test]
fn docs_rules_md_is_fresh() {
    let path = common::root().join("docs/rules.md");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = tlsdiag::report::rules_doc::markdown();
    assert!(
        on_disk == generated,
        "docs/rules.md is out of date: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}
