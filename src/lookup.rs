//! `tlsdiag explain QUERY` for what people have in hand instead of a rule id:
//! a load balancer's log reason, a TLS alert name or number, or an error
//! message from OpenSSL, Java, Go, curl, nginx, Apigee or API Gateway.
//!
//! The mapping is data (`data/error-strings.tsv`, embedded at build time):
//! each row names rule ids only, so titles and explanations keep coming from
//! the one rule registry. Matching forgives case, punctuation, word breaks
//! (`ClientCertExpired` = `client cert expired`) and words around the string,
//! so a whole pasted log line works.

use std::sync::OnceLock;

/// The embedded table (see the header of `data/error-strings.tsv`).
pub const TABLE_TSV: &str = include_str!("../data/error-strings.tsv");

/// Where a known string comes from.
pub const SOURCES: &[&str] = &[
    "alb",
    "alert",
    "openssl",
    "java",
    "go",
    "curl",
    "nginx",
    "apigee",
    "api-gateway",
];

/// Longest query looked at (a pasted stack trace is cut here).
const MAX_QUERY_CHARS: usize = 16 * 1024;

/// One row of the table: a known string and the rules that can explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// One of [`SOURCES`].
    pub source: &'static str,
    /// Alternatives as written in the table (`*` = one or more words).
    pub patterns: Vec<&'static str>,
    /// A real message this row must match.
    pub example: &'static str,
    /// Rule ids, most likely first.
    pub rules: Vec<&'static str>,
    /// What to look for in the capture.
    pub look_for: &'static str,
}

/// One row that matched a query.
#[derive(Debug, Clone)]
pub struct Match {
    pub entry: &'static Entry,
    /// The alternative that matched, as written in the table.
    pub pattern: &'static str,
    /// Matched query words `[start, end)`.
    span: (usize, usize),
    /// Letters and digits matched: longer is more specific.
    score: usize,
}

/// The rows a query matched, most specific first. Rows whose match lies
/// inside another row's match (`bad_certificate` inside `Received fatal
/// alert: bad_certificate`) are left out.
#[derive(Debug, Clone)]
pub struct Answer {
    pub query: String,
    pub matches: Vec<Match>,
}

impl Answer {
    /// Rule ids of all matches, without repeats, in match order.
    pub fn rule_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = Vec::new();
        for id in self.matches.iter().flat_map(|m| m.entry.rules.iter()) {
            if !ids.contains(id) {
                ids.push(id);
            }
        }
        ids
    }
}

/// The embedded table, parsed once. A parse error yields an empty table (a
/// test checks the embedded one parses).
pub fn table() -> &'static [Entry] {
    static TABLE: OnceLock<Vec<Entry>> = OnceLock::new();
    TABLE.get_or_init(|| parse(TABLE_TSV).unwrap_or_default())
}

/// Parses the table's text: five tab-separated columns per row.
pub fn parse(text: &'static str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&'static str> = line.split('\t').map(str::trim).collect();
        let [source, patterns, example, rules, look_for] = cols[..] else {
            return Err(format!(
                "line {}: expected 5 columns, found {}",
                n + 1,
                cols.len()
            ));
        };
        let Some(source) = SOURCES.iter().copied().find(|s| *s == source) else {
            return Err(format!("line {}: unknown source {source:?}", n + 1));
        };
        let entry = Entry {
            source,
            patterns: patterns.split('|').map(str::trim).collect(),
            example,
            rules: rules.split(',').map(str::trim).collect(),
            look_for,
        };
        if entry.patterns.iter().any(|p| squash(p).is_empty()) || entry.rules.is_empty() {
            return Err(format!("line {}: empty pattern or rule list", n + 1));
        }
        out.push(entry);
    }
    Ok(out)
}

/// Looks a query up in the embedded table; `None` when nothing matches.
pub fn lookup(query: &str) -> Option<Answer> {
    lookup_in(table(), query)
}

/// Looks a query up in `entries`.
pub fn lookup_in(entries: &'static [Entry], query: &str) -> Option<Answer> {
    let words = words(query);
    let mut found: Vec<Match> = Vec::new();
    for entry in entries {
        let best = entry
            .patterns
            .iter()
            .filter_map(|p| find(p, &words).map(|(span, score)| (p, span, score)))
            .max_by_key(|(_, _, score)| *score);
        if let Some((pattern, span, score)) = best {
            found.push(Match {
                entry,
                pattern,
                span,
                score,
            });
        }
    }
    let kept: Vec<Match> = found
        .iter()
        .filter(|m| !found.iter().any(|o| covers(o, m)))
        .cloned()
        .collect();
    let mut matches = kept;
    matches.sort_by(|a, b| b.score.cmp(&a.score).then(a.span.0.cmp(&b.span.0)));
    (!matches.is_empty()).then(|| Answer {
        query: query.trim().to_string(),
        matches,
    })
}

/// True when `o`'s match contains `m`'s and says more.
fn covers(o: &Match, m: &Match) -> bool {
    o.span.0 <= m.span.0 && m.span.1 <= o.span.1 && o.score > m.score
}

/// What to add to the generic capture advice for this source.
pub fn capture_hint(source: &str) -> Option<&'static str> {
    Some(match source {
        "alb" => {
            "An ALB terminates TLS itself, so its side cannot be captured: capture on a client (or a test host) while reproducing, and find the connection by the client address and port the connection log names (`tlsdiag analyze --host IP --port PORT`)."
        }
        "api-gateway" => {
            "API Gateway terminates TLS itself: capture on the client while reproducing, with `curl --cert client.pem --key client.key` against the custom domain name."
        }
        "apigee" => {
            "Capture between the message processor and the backend: on the backend, or on the message processor with `tcpdump -i any -s 0 host BACKEND_IP -w x.pcap`."
        }
        "nginx" => {
            "Capture on the nginx host, port 443 (or the listen port); behind a load balancer that terminates TLS, the client's handshake is with the load balancer, not nginx."
        }
        _ => return None,
    })
}

/// Lowercased runs of letters and digits: the words of a query.
fn words(s: &str) -> Vec<String> {
    let s: String = s.chars().take(MAX_QUERY_CHARS).collect();
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Letters and digits only, lowercased: `bad_certificate` → `badcertificate`.
fn squash(s: &str) -> String {
    words(s).concat()
}

/// Finds `pattern` in `words`: the matched span and its score.
fn find(pattern: &str, words: &[String]) -> Option<((usize, usize), usize)> {
    let pieces: Vec<String> = pattern.split('*').map(squash).collect();
    if let [single] = pieces.as_slice()
        && single.bytes().all(|b| b.is_ascii_digit())
    {
        return find_number(single, words);
    }
    // Pieces are separated by a wildcard: each needs at least one word between.
    let leading = pieces.first().is_some_and(String::is_empty);
    let trailing = pieces.len() > 1 && pieces.last().is_some_and(String::is_empty);
    let mut pos = usize::from(leading);
    let mut start = None;
    for piece in pieces.iter().filter(|p| !p.is_empty()) {
        let from = if start.is_some() { pos + 1 } else { pos };
        let (s, e) =
            (from..words.len()).find_map(|s| literal_at(piece, words, s).map(|e| (s, e)))?;
        start.get_or_insert(s);
        pos = e;
    }
    if trailing && pos >= words.len() {
        return None;
    }
    let score = pieces.iter().map(String::len).sum();
    Some(((start?, pos), score))
}

/// An alert number matches alone, or right after `alert`, `description` or `number`.
fn find_number(num: &str, words: &[String]) -> Option<((usize, usize), usize)> {
    let trimmed = num.trim_start_matches('0');
    let same = |w: &str| w.trim_start_matches('0') == trimmed && !w.is_empty();
    if let [only] = words
        && same(only)
    {
        return Some(((0, 1), num.len()));
    }
    words.windows(2).enumerate().find_map(|(i, pair)| {
        let [before, n] = pair else { return None };
        (matches!(before.as_str(), "alert" | "description" | "number") && same(n))
            .then_some(((i + 1, i + 2), num.len()))
    })
}

/// If the words from `start` on spell exactly `lit`, the index after the last one.
fn literal_at(lit: &str, words: &[String], start: usize) -> Option<usize> {
    let mut rest = lit;
    for (i, w) in words.iter().enumerate().skip(start) {
        rest = rest.strip_prefix(w.as_str())?;
        if rest.is_empty() {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    #[test]
    fn embedded_table_parses() {
        let parsed = parse(TABLE_TSV).expect("data/error-strings.tsv parses");
        let rows = TABLE_TSV
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(parsed.len(), rows);
        assert_eq!(table().len(), rows);
    }

    #[test]
    fn every_rule_id_in_the_table_exists() {
        for e in table() {
            for id in &e.rules {
                assert!(
                    rules::find(id).is_some(),
                    "{} {:?}: no rule {id:?}",
                    e.source,
                    e.patterns
                );
            }
        }
    }

    #[test]
    fn patterns_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in table() {
            for p in &e.patterns {
                assert!(seen.insert(squash(p)), "pattern {p:?} appears twice");
            }
        }
    }

    /// Each row, queried by its example, by each alternative, and by a messy
    /// variant (other case, inside a log line), gives its rule ids.
    #[test]
    fn every_entry_answers_its_own_examples() {
        let mut failures = Vec::new();
        for e in table() {
            let mut queries = vec![e.example.to_string(), messy(e.example)];
            for p in e.patterns.iter().filter(|p| !p.contains('*')) {
                queries.push((*p).to_string());
                if p.bytes().all(|b| b.is_ascii_digit()) {
                    queries.push(format!("TLS Alert (level 2, description {p})"));
                } else {
                    queries.push(messy(p));
                }
            }
            for q in queries {
                if let Err(why) = check(e, &q) {
                    failures.push(format!("[{}] {:?} ← {q:?}: {why}", e.source, e.patterns));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    fn check(e: &'static Entry, q: &str) -> Result<(), String> {
        let answer = lookup(q).ok_or("no match")?;
        if !answer.matches.iter().any(|m| std::ptr::eq(m.entry, e)) {
            let got: Vec<_> = answer.matches.iter().map(|m| m.pattern).collect();
            return Err(format!("matched {got:?} instead"));
        }
        let ids = answer.rule_ids();
        match e.rules.iter().find(|id| !ids.contains(id)) {
            Some(id) => Err(format!("rule {id} missing from {ids:?}")),
            None => Ok(()),
        }
    }

    /// Swapped case inside a syslog-like line.
    fn messy(s: &str) -> String {
        let swapped: String = s
            .chars()
            .map(|c| {
                if c.is_lowercase() {
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c.to_lowercase().next().unwrap_or(c)
                }
            })
            .collect();
        format!("2024-05-01T10:00:00.123Z host-1 app[4711]: ERROR conn=7 {swapped} (retrying)")
    }

    #[test]
    fn every_alert_of_the_registry_has_a_row() {
        let alerts: Vec<&Entry> = table().iter().filter(|e| e.source == "alert").collect();
        for code in 0..=255u8 {
            let Some(name) = crate::tls::enums::alert_description_name(code) else {
                continue;
            };
            let row = alerts
                .iter()
                .find(|e| e.patterns.first() == Some(&name))
                .unwrap_or_else(|| panic!("no row for alert {name} ({code})"));
            assert!(
                row.patterns.contains(&code.to_string().as_str()),
                "row {name} lacks its number {code}"
            );
        }
    }

    #[test]
    fn alert_numbers_only_match_as_alerts() {
        let a = lookup("42").expect("bare number");
        assert_eq!(a.matches[0].pattern, "42");
        assert!(a.rule_ids().contains(&"client-certificate-rejected"));
        assert!(lookup("SSL alert number 48").is_some_and(|a| a.matches[0].pattern == "48"));
        // A 42 that is not an alert code must not match.
        assert!(lookup("took 42 ms").is_none());
        assert!(lookup("1042").is_none());
    }

    #[test]
    fn word_breaks_and_wildcards() {
        let a = lookup("client cert expired").expect("spaced ALB reason");
        assert_eq!(a.matches[0].pattern, "ClientCertExpired");
        let a = lookup("x509: certificate is valid for a.example, b.example, not c.example")
            .expect("wildcard");
        assert_eq!(a.rule_ids(), vec!["certificate-name-mismatch"]);
        // The wildcard needs a word: nothing between `for` and `not` is no match.
        assert!(
            find(
                "x509: certificate is valid for * not *",
                &words("x509 certificate is valid for not x")
            )
            .is_none()
        );
    }

    #[test]
    fn the_longer_string_wins_and_hides_what_it_contains() {
        let a = lookup("javax.net.ssl.SSLException: Received fatal alert: bad_certificate")
            .expect("java");
        let patterns: Vec<_> = a.matches.iter().map(|m| m.pattern).collect();
        assert_eq!(patterns, vec!["Received fatal alert: bad_certificate"]);
    }

    #[test]
    fn unknown_queries_match_nothing() {
        assert!(lookup("everything is fine").is_none());
        assert!(lookup("").is_none());
        assert!(lookup("::: ---").is_none());
    }
}
