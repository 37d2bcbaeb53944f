//! Text from the wire is data, never markup or terminal control.

/// Makes a wire string safe for a terminal: control characters (C0, DEL, C1,
/// including ESC) become `\xNN` / `\u{NNNN}` escapes; everything else is kept.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || is_bidi_control(c) {
            let n = c as u32;
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:04x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Unicode bidirectional overrides can make a terminal show text reordered.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences_and_newlines() {
        let s = terminal("evil\u{1b}[31mred\nnext\u{7f}\u{9b}x\u{202e}");
        assert!(!s.contains('\u{1b}'));
        assert!(!s.contains('\n'));
        assert_eq!(s, "evil\\x1b[31mred\\x0anext\\x7f\\x9bx\\u{202e}");
    }

    #[test]
    fn keeps_plain_and_non_ascii_text() {
        assert_eq!(terminal("server.tlsdiag.test"), "server.tlsdiag.test");
        assert_eq!(terminal("bücher.example"), "bücher.example");
    }
}
