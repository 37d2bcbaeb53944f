//! `tlsdiag explain QUERY` with what people have in hand (log reasons,
//! alerts, error messages), through the binary.

mod common;

use common::tlsdiag;
use predicates::prelude::*;

#[test]
fn a_pasted_log_line_names_the_rules_with_their_titles() {
    let line = "2017-10-23 05:28:57,813 ERROR HTTP.CLIENT - handshake failed, message: Received fatal alert: bad_certificate";
    let title = tlsdiag::rules::find("client-certificate-missing")
        .expect("rule exists")
        .title;
    tlsdiag().args(["explain", line]).assert().success().stdout(
        predicate::str::contains("client-certificate-missing")
            .and(predicate::str::contains(title))
            .and(predicate::str::contains("What to look for"))
            .and(predicate::str::contains("tcpdump -i any -s 0 -w x.pcap"))
            .and(predicate::str::contains("SSLKEYLOGFILE")),
    );
}

#[test]
fn alert_numbers_and_alb_reasons() {
    tlsdiag().args(["explain", "48"]).assert().success().stdout(
        predicate::str::contains("unknown_ca")
            .and(predicate::str::contains("server-certificate-untrusted")),
    );
    tlsdiag()
        .args(["explain", "\"Failed:ClientCertMaxChainDepthExceeded\""])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("client-chain-too-deep").and(predicate::str::contains("ALB")),
        );
}

#[test]
fn rule_ids_still_print_the_rule() {
    tlsdiag()
        .args(["explain", "fatal-alert"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("How to fix it")
                .and(predicate::str::contains("Matched").not()),
        );
}

#[test]
fn unknown_query_is_exit_2_and_says_what_is_accepted() {
    tlsdiag()
        .args(["explain", "the printer is on fire"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("rule id")
                .and(predicate::str::contains("alert"))
                .and(predicate::str::contains("ALB"))
                .and(predicate::str::contains("OpenSSL")),
        );
}
