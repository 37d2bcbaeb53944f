//! The docs' example outputs equal what the binary prints today.
//!
//! docs/guide.md holds `<!-- run: ARGS -->` markers, each followed by a
//! fenced block with tlsdiag's output for ARGS. This test runs every one and
//! compares; with `TLSDIAG_UPDATE_DOCS=1` it rewrites the blocks instead.

mod common;

fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn run(args: &[String]) -> String {
    let out = common::tlsdiag().args(args).output().expect("run tlsdiag");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "tlsdiag {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn guide_outputs_are_current() {
    let path = common::root().join("docs/guide.md");
    let text = std::fs::read_to_string(&path).expect("docs/guide.md");
    let mut out = String::new();
    let mut stale = Vec::new();
    let mut lines = text.lines().peekable();
    let mut runs = 0;
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some(args) = line
            .strip_prefix("<!-- run: ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        runs += 1;
        let fence = lines.next().unwrap_or_default();
        assert_eq!(
            fence, "```text",
            "a run marker must be followed by a ```text block: {line}"
        );
        let mut shown = String::new();
        for l in lines.by_ref() {
            if l == "```" {
                break;
            }
            shown.push_str(l);
            shown.push('\n');
        }
        let actual = run(&split_args(args));
        if shown != actual {
            stale.push(args.to_string());
        }
        out.push_str("```text\n");
        out.push_str(&actual);
        out.push_str("```\n");
    }
    assert!(runs >= 10, "only {runs} examples");
    if std::env::var_os("TLSDIAG_UPDATE_DOCS").is_some() {
        std::fs::write(&path, out).expect("write docs/guide.md");
        return;
    }
    assert!(
        stale.is_empty(),
        "docs/guide.md shows outdated output for: {stale:#?}\nrun `TLSDIAG_UPDATE_DOCS=1 cargo test --test docs`"
    );
}
