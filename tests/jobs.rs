//! Several captures in one `analyze`, analysed side by side (`--jobs`):
//! the reports must say what analysing them one at a time says.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// Every example capture but the gzip twins (they say the same).
fn all_captures() -> Vec<std::path::PathBuf> {
    let mut v = example_captures();
    v.retain(|p| !p.to_string_lossy().ends_with(".gz"));
    v
}

fn analyze(files: &[std::path::PathBuf], extra: &[&str]) -> (Vec<u8>, String, Option<i32>) {
    let out = tlsdiag()
        .arg("analyze")
        .args(files)
        .args(extra)
        .output()
        .expect("run tlsdiag");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn reports_of_files_side_by_side_are_those_of_one_at_a_time() {
    let files = all_captures();
    for format in ["text", "markdown", "html", "json"] {
        let (one, _, one_code) = analyze(&files, &["--format", format, "--jobs", "1"]);
        let (three, _, three_code) = analyze(&files, &["--format", format, "--jobs", "3"]);
        assert_eq!(one_code, Some(1), "{format}: some captures fail");
        assert_eq!(three_code, one_code, "{format}");
        assert!(
            one == three,
            "{format}: --jobs 3 wrote a different report than --jobs 1"
        );
        // And the report is each file's own, in the order given.
        // (The whole path: some names end with another's, `tls12-ok.pcap`.)
        let text = String::from_utf8_lossy(&three);
        let at: Vec<usize> = files
            .iter()
            .map(|f| {
                text.find(&*f.to_string_lossy())
                    .expect("each file is named")
            })
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{format}: files out of order"
        );
    }
}

#[test]
fn json_lines_of_files_side_by_side_keep_each_files_order() {
    let files = all_captures();
    let parse = |bytes: &[u8]| -> Vec<Value> {
        String::from_utf8(bytes.to_vec())
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("every line is whole JSON"))
            .collect()
    };
    // Each capture's lines, in the order written.
    fn by_capture(lines: &[Value]) -> BTreeMap<String, Vec<&Value>> {
        let mut m: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for l in lines {
            let c = l["capture"].as_str().expect("capture").to_string();
            m.entry(c).or_default().push(l);
        }
        m
    }
    let (one, _, _) = analyze(&files, &["--format", "jsonl", "--jobs", "1"]);
    let (three, _, code) = analyze(&files, &["--format", "jsonl", "--jobs", "3"]);
    assert_eq!(code, Some(1));
    let (one, three) = (parse(&one), parse(&three));
    assert_eq!(one.len(), three.len());
    let (one, three) = (by_capture(&one), by_capture(&three));
    assert_eq!(one.len(), files.len(), "a group per capture");
    assert_eq!(one, three, "a capture's lines differ or changed order");
    for (capture, lines) in &three {
        let (last, conns) = lines.split_last().expect("lines");
        assert!(
            last.get("summary").is_some(),
            "{capture}: capture line last"
        );
        assert!(conns.iter().all(|l| l.get("connection").is_some()));
    }
}

#[test]
fn a_bad_file_among_good_ones_is_exit_2_naming_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("not-a-capture.pcap");
    std::fs::write(&bad, b"this is not a capture file at all").expect("write");
    let good = all_captures();
    let mut files: Vec<_> = good.iter().take(6).cloned().collect();
    files.insert(3, bad.clone());
    for jobs in ["1", "2"] {
        for format in ["text", "jsonl"] {
            let (out, err, code) = analyze(&files, &["--format", format, "--jobs", jobs]);
            assert_eq!(code, Some(2), "--jobs {jobs} --format {format}: {err}");
            assert!(
                err.contains("not-a-capture.pcap: not a pcap or pcapng file"),
                "--jobs {jobs}: the error names the file: {err}"
            );
            assert!(
                !err.contains("another capture of this run failed"),
                "the first error in file order is the one reported: {err}"
            );
            if format == "text" {
                assert!(out.is_empty(), "--jobs {jobs}: no partial report");
            }
        }
    }
}

#[test]
fn stdin_named_twice_is_read_by_one_job() {
    let file = root().join("captures/tls12-ok.pcap");
    let bytes = std::fs::read(&file).expect("capture");
    let run = |jobs: &str| {
        tlsdiag()
            .args(["analyze", "-", "-", "--format", "jsonl", "--jobs", jobs])
            .write_stdin(bytes.clone())
            .output()
            .expect("run tlsdiag")
    };
    let (one, two) = (run("1"), run("2"));
    assert_eq!(one.status.code(), two.status.code());
    assert_eq!(
        one.stdout, two.stdout,
        "the first `-` gets the whole stream either way"
    );
    assert!(!one.stdout.is_empty());
}

#[test]
fn jobs_must_be_at_least_one() {
    let (_, err, code) = analyze(&all_captures()[..1], &["--jobs", "0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--jobs") && err.contains("0"), "{err}");
}
