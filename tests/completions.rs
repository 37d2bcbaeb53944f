//! `tlsdiag completions SHELL` and `tlsdiag man`, generated from the clap definitions.

mod common;

use common::tlsdiag;
use predicates::prelude::*;

#[test]
fn completions_know_the_subcommands_and_options() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        tlsdiag()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("analyze").and(predicate::str::contains("fail-on")));
    }
    tlsdiag().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_page_is_roff_and_lists_the_subcommands() {
    tlsdiag().arg("man").assert().success().stdout(
        predicate::str::contains(".TH tlsdiag 1")
            .and(predicate::str::contains("analyze"))
            .and(predicate::str::contains("explain")),
    );
}
