//! Small questions about a connection that several section-A rules ask
//! (where did TCP end, which versions were offered, did the server say
//! anything). Kept here so each rule file reads as its decision only.

use crate::model::{Alert, ClientOffer, Connection, Named, Tls};
use crate::tcp::TcpEnd;
use crate::types::{FrameNo, Side};

/// The frame and sender of the FIN or RST that ended the TCP connection.
pub(crate) fn tcp_close(conn: &Connection) -> Option<(TcpClose, Side, FrameNo)> {
    match conn.tcp.end {
        TcpEnd::Fin { by, frame } => Some((TcpClose::Fin, by, frame)),
        TcpEnd::Rst { by, frame } => Some((TcpClose::Rst, by, frame)),
        TcpEnd::Open | TcpEnd::Evicted { .. } => None,
    }
}

/// How TCP was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TcpClose {
    Fin,
    Rst,
}

/// Fatal alerts with a visible description, in order.
pub(crate) fn fatal_alerts(tls: &Tls) -> impl Iterator<Item = &Alert> {
    tls.alerts
        .iter()
        .filter(|a| a.level == "fatal" && a.description.is_some())
}

/// The first visible alert with description `code`.
pub(crate) fn alert_with(tls: &Tls, code: u16) -> Option<&Alert> {
    tls.alerts
        .iter()
        .find(|a| a.description.as_ref().is_some_and(|d| d.id == code))
}

/// `TLS 1.3, TLS 1.2`
pub(crate) fn labels(values: &[Named]) -> String {
    if values.is_empty() {
        return "none".to_string();
    }
    values
        .iter()
        .map(Named::label)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The highest version the client offered (GREASE already removed by the model).
pub(crate) fn max_offered(offer: &ClientOffer) -> Option<&Named> {
    offer
        .versions
        .iter()
        .max_by_key(|v| version_rank(v.id))
        .or(Some(&offer.legacy_version))
}

/// Orders protocol versions (SSL 2 is 0x0002 on the wire but older than SSL 3).
pub(crate) fn version_rank(v: u16) -> u16 {
    if v == 0x0002 { 0x0200 } else { v }
}

/// A version's usual name when the model did not name it.
pub(crate) fn version_label(v: &Named) -> String {
    match (&v.name, v.id) {
        (Some(n), _) => n.to_string(),
        (None, 0x0002) => "SSL 2.0".into(),
        (None, 0x0300) => "SSL 3.0".into(),
        (None, 0x0301) => "TLS 1.0".into(),
        (None, 0x0302) => "TLS 1.1".into(),
        (None, 0x0303) => "TLS 1.2".into(),
        (None, 0x0304) => "TLS 1.3".into(),
        (None, id) => format!("0x{id:04x}"),
    }
}

/// True when the server sent any TLS message (or any bytes) on the connection.
pub(crate) fn server_spoke(conn: &Connection) -> bool {
    conn.tcp.to_client.bytes > 0
        || conn
            .tls
            .as_ref()
            .is_some_and(|t| t.timeline.iter().any(|e| e.sender == Side::Server))
}

/// The cipher suites a client really offered (signalling values removed).
pub(crate) fn real_suites(offer: &ClientOffer) -> Vec<&Named> {
    offer
        .cipher_suites
        .iter()
        .filter(|s| !matches!(s.id, 0x00ff | 0x5600) && !is_grease(s.id))
        .collect()
}

/// RFC 8701 GREASE values (0x0a0a, 0x1a1a, …).
pub(crate) fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Whether the TLS handshake got past the ClientHello and did not finish.
pub(crate) fn handshake_unfinished(tls: &Tls) -> bool {
    tls.client_hello.is_some() && !tls.handshake_complete
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testutil::*;

    #[test]
    fn grease_and_scsv_are_not_real_suites() {
        let mut o = client_offer();
        o.cipher_suites.push(named(0x0a0a, "GREASE"));
        o.cipher_suites
            .push(named(0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"));
        o.cipher_suites.push(named(0x5600, "TLS_FALLBACK_SCSV"));
        assert_eq!(real_suites(&o).len(), 2);
        assert!(is_grease(0xfafa) && !is_grease(0x1301));
    }

    #[test]
    fn highest_offer_orders_ssl2_below_ssl3() {
        let mut o = client_offer();
        o.versions = vec![named(0x0002, "SSL 2.0"), named(0x0300, "SSL 3.0")];
        assert_eq!(max_offered(&o).map(|v| v.id), Some(0x0300));
    }
}
