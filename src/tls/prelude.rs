//! Bytes that are not TLS: recognising what they are (HTTP, SSH, a
//! STARTTLS-style prelude) and finding where TLS starts after an upgrade.
//!
//! Rather than modelling each upgrade command, a direction that starts in
//! plaintext is scanned for the first plausible TLS handshake record header;
//! the protocol name is decided from both directions' first bytes.

/// At least this many bytes are needed to judge a record header.
pub const HEADER_PROBE: usize = 6;

/// What the first bytes of a direction look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A TLS record header.
    Tls,
    /// An SSLv2-format ClientHello (2-byte header, high bit set).
    Sslv2ClientHello,
    /// Something else.
    Plain,
    /// Not enough bytes to tell.
    NeedMore,
}

/// Classifies the first bytes of a direction.
pub fn classify_start(b: &[u8]) -> Start {
    match b {
        [] | [_] | [_, _] => match b.first() {
            Some(20..=24) | Some(0x80..) | None => Start::NeedMore,
            Some(_) => Start::Plain,
        },
        [20..=24, 3, minor, ..] if *minor <= 4 => Start::Tls,
        [hi, _, 1, major, ..] if hi & 0x80 != 0 && (*major == 0 || *major == 3) => {
            Start::Sslv2ClientHello
        }
        [hi, _, 1] if hi & 0x80 != 0 => Start::NeedMore,
        _ => Start::Plain,
    }
}

/// A plausible first TLS record after a plaintext prelude: handshake type 22,
/// version 3.0–3.4, a sane length, carrying a ClientHello or ServerHello.
pub fn plausible_tls_start(b: &[u8]) -> bool {
    match b {
        [22, 3, minor, hi, lo, 1 | 2, ..] if *minor <= 4 => {
            let len = (usize::from(*hi) << 8) | usize::from(*lo);
            (4..=18432).contains(&len)
        }
        _ => false,
    }
}

/// Offset of the first plausible TLS start at or after `from`.
pub fn find_tls_start(buf: &[u8], from: usize) -> Option<usize> {
    let tail = buf.get(from..)?;
    tail.windows(HEADER_PROBE)
        .position(plausible_tls_start)
        .map(|p| p + from)
}

/// The first ≤ 64 bytes as printable ASCII, other bytes as `\xNN`.
pub fn preview(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b.iter().take(64) {
        if (0x20..0x7f).contains(&c) && c != b'\\' {
            s.push(char::from(c));
        } else {
            s.push_str(&format!("\\x{c:02x}"));
        }
    }
    s
}

fn starts_ci(b: &[u8], p: &str) -> bool {
    b.get(..p.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
}

fn contains(b: &[u8], needle: &[u8]) -> bool {
    b.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

const HTTP_METHODS: [&str; 10] = [
    "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
    "PRI * ",
];

/// What one direction's first bytes are, on their own.
pub fn classify_direction(b: &[u8]) -> &'static str {
    let b = b.get(..b.len().min(512)).unwrap_or_default();
    if starts_ci(b, "CONNECT ") {
        return "http_connect";
    }
    if HTTP_METHODS.iter().any(|m| b.starts_with(m.as_bytes())) {
        return "http_request";
    }
    if b.starts_with(b"HTTP/") {
        return "http_response";
    }
    if b.starts_with(b"SSH-") {
        return "ssh_banner";
    }
    if let Some(p) = binary_protocol(b) {
        return p;
    }
    text_protocol(b).unwrap_or_else(|| {
        let printable = b
            .iter()
            .filter(|&&c| c == b'\r' || c == b'\n' || (0x20..0x7f).contains(&c))
            .count();
        if !b.is_empty() && printable * 10 >= b.len() * 9 {
            "text"
        } else {
            "unknown_binary"
        }
    })
}

fn binary_protocol(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]) {
        return Some("postgresql");
    }
    // PostgreSQL StartupMessage (protocol 3.0) or a server ErrorResponse.
    if let [_, _, _, _, 0, 3, 0, 0, ..] = b {
        return Some("postgresql");
    }
    if b.first() == Some(&0x30) && contains(b, b"1.3.6.1.4.1.1466.20037") {
        return Some("ldap");
    }
    if let [3, 0, _, _, _, 0xe0 | 0xd0, ..] = b {
        return Some("rdp");
    }
    // MySQL server greeting: 3-byte length, sequence 0, protocol version 10.
    if let [l0, l1, l2, 0, 10, ..] = b {
        let len = usize::from(*l0) | usize::from(*l1) << 8 | usize::from(*l2) << 16;
        if len + 4 <= b.len() + 4096 && len > 10 && b.get(5).is_some_and(|c| c.is_ascii_digit()) {
            return Some("mysql");
        }
    }
    None
}

fn text_protocol(b: &[u8]) -> Option<&'static str> {
    let line_end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
    let line = b.get(..line_end).unwrap_or_default();
    if starts_ci(b, "EHLO") || starts_ci(b, "HELO") {
        return Some("smtp");
    }
    if b.starts_with(b"220") {
        return Some(if contains(line, b"FTP") {
            "ftp"
        } else {
            "smtp"
        });
    }
    if starts_ci(b, "AUTH TLS") || starts_ci(b, "AUTH SSL") || starts_ci(b, "USER ") {
        return Some("ftp");
    }
    if b.starts_with(b"* OK") || b.starts_with(b"* PREAUTH") {
        return Some("imap");
    }
    if b.starts_with(b"+OK") || starts_ci(b, "STLS") || starts_ci(b, "CAPA") {
        return Some("pop3");
    }
    if b.starts_with(b"<?xml") || b.starts_with(b"<stream:") || contains(line, b"<starttls") {
        return Some("xmpp");
    }
    if starts_ci(b, "CAP LS") || starts_ci(b, "NICK ") || contains(line, b" 670 ") {
        return Some("irc");
    }
    // IMAP client: "<tag> STARTTLS" / "<tag> CAPABILITY".
    let mut words = line.split(|&c| c == b' ');
    if let (Some(_tag), Some(cmd)) = (words.next(), words.next())
        && (starts_ci(cmd, "STARTTLS") || starts_ci(cmd, "CAPABILITY"))
    {
        return Some("imap");
    }
    None
}

/// The prelude protocol judged from both directions' first bytes.
pub fn classify_prelude(to_server: &[u8], to_client: &[u8]) -> &'static str {
    let a = classify_direction(to_server);
    let c = classify_direction(to_client);
    let known = |k: &str| {
        !matches!(
            k,
            "text" | "unknown_binary" | "http_response" | "http_request"
        )
    };
    if a == "ftp" || c == "ftp" {
        return "ftp";
    }
    if to_server.starts_with(b"STARTTLS") && contains(to_client, b" 670 ") {
        return "irc";
    }
    if c == "postgresql"
        || a == "postgresql"
        || (to_client.first() == Some(&b'S') && to_client.len() == 1)
    {
        return if a == "postgresql" || c == "postgresql" {
            "postgresql"
        } else {
            "unknown"
        };
    }
    match (known(a), known(c)) {
        (true, _) => a,
        (false, true) => c,
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts() {
        assert_eq!(classify_start(&[22, 3, 1, 0, 5]), Start::Tls);
        assert_eq!(classify_start(&[22]), Start::NeedMore);
        assert_eq!(classify_start(b"G"), Start::Plain);
        assert_eq!(
            classify_start(&[0x80, 0x2e, 1, 3, 1]),
            Start::Sslv2ClientHello
        );
        assert_eq!(classify_start(b"GET / HTTP/1.1"), Start::Plain);
    }

    #[test]
    fn kinds() {
        assert_eq!(classify_direction(b"GET / HTTP/1.1\r\n"), "http_request");
        assert_eq!(
            classify_direction(b"HTTP/1.1 400 Bad Request\r\n"),
            "http_response"
        );
        assert_eq!(classify_direction(b"SSH-2.0-OpenSSH_9.6\r\n"), "ssh_banner");
        assert_eq!(classify_direction(&[0, 1, 0xff, 0x80, 7]), "unknown_binary");
        assert_eq!(
            classify_prelude(b"EHLO x\r\nSTARTTLS\r\n", b"220 mx ESMTP\r\n"),
            "smtp"
        );
        assert_eq!(
            classify_prelude(b"AUTH TLS\r\n", b"220 ProFTPD\r\n234 go\r\n"),
            "ftp"
        );
        assert_eq!(
            classify_prelude(b"a1 STARTTLS\r\n", b"* OK ready\r\n"),
            "imap"
        );
        assert_eq!(classify_prelude(b"STLS\r\n", b"+OK\r\n"), "pop3");
        assert_eq!(
            classify_prelude(&[0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f], b"S"),
            "postgresql"
        );
        assert_eq!(
            classify_prelude(b"STARTTLS\r\n", b":irc.x 670 nick :go\r\n"),
            "irc"
        );
        assert_eq!(
            classify_prelude(
                b"CONNECT a:443 HTTP/1.1\r\n\r\n",
                b"HTTP/1.1 200 OK\r\n\r\n"
            ),
            "http_connect"
        );
    }

    #[test]
    fn tls_start_scan_and_preview() {
        let mut b = b"STARTTLS\r\n".to_vec();
        b.extend_from_slice(&[22, 3, 1, 0, 200, 1, 0, 0, 196]);
        assert_eq!(find_tls_start(&b, 0), Some(10));
        assert_eq!(find_tls_start(&b, 11), None);
        assert_eq!(preview(b"a\r\n\\"), "a\\x0d\\x0a\\x5c");
    }
}
