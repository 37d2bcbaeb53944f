//! capture-file-truncated: the capture file ends inside a record.
use crate::model::{CaptureFacts, Connection};
use crate::rules::{CaptureCheck, Context, Finding};

declare_rule! {
    CAPTURE_FILE_TRUNCATED {
        id: "capture-file-truncated",
        severity: Warning,
        title: "the capture file ends in the middle of a packet",
        explanation: "The last record of the capture file is cut short: tcpdump was killed (or the disk filled) while writing, or the file was copied before it was complete. Everything before the cut is read and reported normally; connections still open at the end are simply incomplete.",
        remediation: "Stop tcpdump with Ctrl-C or `kill -INT PID` (not `kill -9`) so it flushes its buffer, and copy the file only after it exits; with `-U` tcpdump writes each packet as it arrives.",
        fires_on: ["capture-file-truncated.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Capture(check),
    }
}

fn check() -> Box<dyn CaptureCheck> {
    Box::new(Truncated)
}

/// Reads only the capture's facts.
struct Truncated;

impl CaptureCheck for Truncated {
    fn add(&mut self, _c: &Connection, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}

    fn finish(self: Box<Self>, capture: &CaptureFacts, _cx: &Context<'_>, out: &mut Vec<Finding>) {
        report(capture, out);
    }
}

fn report(capture: &CaptureFacts, out: &mut Vec<Finding>) {
    let truncated: Vec<_> = capture.files.iter().filter(|f| f.file_truncated).collect();
    if truncated.is_empty() {
        return;
    }
    let cut_warnings: Vec<_> = capture
        .warnings
        .iter()
        .filter(|w| w.message.contains("truncat") || w.message.contains("cut"))
        .collect();
    let names: Vec<&str> = truncated.iter().map(|f| f.name.as_str()).collect();
    let mut f = Finding::new(
        &CAPTURE_FILE_TRUNCATED,
        None,
        format!("capture file {} ends in the middle of a packet", names.join(", ")),
        format!(
            "{} ends inside a record after {} complete frames: the writer stopped mid-packet (tcpdump killed, disk full, or an unfinished copy). All {} frames before the cut were analysed; connections open at that point are incomplete.",
            names.join(", "),
            truncated.iter().map(|f| f.frames).sum::<u64>(),
            capture.frames
        ),
    )
    .frames(cut_warnings.iter().filter_map(|w| w.frame));
    for w in cut_warnings {
        f = f.fact(w.message.clone());
    }
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileFacts;
    use crate::rules::alerts::testkit::*;

    #[test]
    fn truncated_file_is_named() {
        let mut a = analysis(vec![]);
        let mut file = FileFacts {
            name: "cut.pcap".into(),
            format: "pcap".into(),
            compression: "none".into(),
            frames: 41,
            bytes: 9000,
            link_types: vec![],
            ts_precision_digits: 6,
            file_truncated: false,
            sha256: None,
        };
        a.capture.files.push(file.clone());
        assert!(run_capture(check, &a).is_empty());
        file.file_truncated = true;
        a.capture.files = vec![file];
        let out = run_capture(check, &a);
        assert_eq!(out.len(), 1);
        assert!(out[0].title.contains("cut.pcap"));
        assert!(out[0].explanation.contains("after 41 complete frames"));
    }
}
