//! Identities and small values shared by every stage of the pipeline.
//!
//! These are plain data: frame numbers as Wireshark counts them, capture
//! timestamps, endpoints and directions. Every later stage names its evidence
//! with them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;

/// A frame number, 1-based, exactly as Wireshark shows it (`frame.number`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    Default,
)]
#[serde(transparent)]
pub struct FrameNo(pub u64);

impl fmt::Display for FrameNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A capture timestamp: seconds and nanoseconds since the Unix epoch, UTC.
///
/// Certificate validity is judged against these, never the analysis date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub fn new(secs: i64, nanos: u32) -> Self {
        Timestamp {
            secs: secs + i64::from(nanos / 1_000_000_000),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Seconds since the epoch as a float (for durations and JSON).
    pub fn as_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// Signed difference `self - earlier` in seconds.
    pub fn since(&self, earlier: Timestamp) -> f64 {
        (self.secs - earlier.secs) as f64 + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }

    /// RFC 3339 in UTC with microsecond precision, e.g. `2026-03-01T10:22:03.120512Z`.
    pub fn rfc3339(&self) -> String {
        let mut buf = [0u8; RFC3339_LEN];
        match self.rfc3339_into(&mut buf) {
            Some(s) => s.to_string(),
            None => self.rfc3339_slow(),
        }
    }

    /// The RFC 3339 form written into `buf` without allocating (the JSON
    /// output writes one per frame it names); `None` for years outside
    /// 0..=9999, which take [`Timestamp::rfc3339_slow`].
    fn rfc3339_into<'b>(&self, buf: &'b mut [u8; RFC3339_LEN]) -> Option<&'b str> {
        // Timestamps come in runs within one second (a connection's frames):
        // the date and time part is remembered per thread.
        thread_local! {
            static LAST: std::cell::Cell<(i64, Option<[u8; 19]>)> =
                const { std::cell::Cell::new((i64::MIN, None)) };
        }
        let prefix = match LAST.get() {
            (secs, Some(p)) if secs == self.secs => p,
            _ => {
                let p = date_time(self.secs)?;
                LAST.set((self.secs, Some(p)));
                p
            }
        };
        let (head, tail) = buf.split_at_mut(19);
        head.copy_from_slice(&prefix);
        let mut micros = (self.nanos / 1000).min(999_999);
        if let [dot, digits @ .., z] = tail {
            *dot = b'.';
            *z = b'Z';
            for d in digits.iter_mut().rev() {
                *d = b'0' + (micros % 10) as u8;
                micros /= 10;
            }
        }
        std::str::from_utf8(buf).ok()
    }

    fn rfc3339_slow(&self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.secs);
        format!(
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}Z",
            self.nanos / 1000
        )
    }

    /// Human form used in text reports: `2026-03-01 10:22:03.120 UTC`.
    pub fn human(&self) -> String {
        let Some(dt) = date_time(self.secs).filter(|_| self.nanos < 1_000_000_000) else {
            return self.human_slow();
        };
        // Called for many findings' explanations: no formatting machinery.
        let millis = self.nanos / 1_000_000;
        let mut out = String::with_capacity(27);
        out.extend(
            dt.iter()
                .map(|&b| if b == b'T' { ' ' } else { char::from(b) }),
        );
        out.push('.');
        out.extend(
            [millis / 100, millis / 10 % 10, millis % 10]
                .map(|d| char::from_digit(d, 10).unwrap_or('0')),
        );
        out.push_str(" UTC");
        out
    }

    fn human_slow(&self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.secs);
        format!(
            "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03} UTC",
            self.nanos / 1_000_000
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of a Unix time; `None` for years outside 0..=9999.
fn date_time(secs: i64) -> Option<[u8; 19]> {
    let (y, mo, d, h, mi, s) = civil_from_unix(secs);
    let y = u32::try_from(y).ok().filter(|y| *y <= 9999)?;
    let mut out = *b"0000-00-00T00:00:00";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            if let Some(b) = out.get_mut(i) {
                *b = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, mo);
    put(8, 2, d);
    put(11, 2, h);
    put(14, 2, mi);
    put(17, 2, s);
    Some(out)
}

/// Length of `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
const RFC3339_LEN: usize = 27;

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; RFC3339_LEN];
        match self.rfc3339_into(&mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_str(&self.rfc3339_slow()),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_rfc3339(&s).ok_or_else(|| serde::de::Error::custom(format!("bad timestamp {s:?}")))
    }
}

/// Parses the form written by [`Timestamp::rfc3339`] (and second-precision variants).
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut dp = date.split('-');
    let y: i64 = dp.next()?.parse().ok()?;
    let mo: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, b),
        None => (time, ""),
    };
    let mut tp = hms.split(':');
    let h: i64 = tp.next()?.parse().ok()?;
    let mi: i64 = tp.next()?.parse().ok()?;
    let sec: i64 = tp.next()?.parse().ok()?;
    let mut nanos: u32 = 0;
    if !frac.is_empty() {
        let digits: String = frac.chars().take(9).collect();
        let n: u32 = digits.parse().ok()?;
        nanos = n * 10u32.pow(9 - digits.len() as u32);
    }
    let days = days_from_civil(y, mo, d);
    Some(Timestamp::new(
        days * 86400 + h * 3600 + mi * 60 + sec,
        nanos,
    ))
}

/// Converts Unix seconds to (year, month, day, hour, minute, second) in UTC.
pub fn civil_from_unix(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
}

/// Days since the epoch for a civil date (inverse of [`civil_from_unix`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A connection's index within one analysis, 1-based in order of first frame.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    Default,
)]
#[serde(transparent)]
pub struct ConnId(pub u32);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Direction of a byte or message within a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    /// From the client (the side that sent the SYN, or the ClientHello) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

impl Dir {
    pub fn flip(self) -> Dir {
        match self {
            Dir::ToServer => Dir::ToClient,
            Dir::ToClient => Dir::ToServer,
        }
    }
    /// Who sends in this direction.
    pub fn sender(self) -> Side {
        match self {
            Dir::ToServer => Side::Client,
            Dir::ToClient => Side::Server,
        }
    }
    pub fn index(self) -> usize {
        match self {
            Dir::ToServer => 0,
            Dir::ToClient => 1,
        }
    }
}

/// One end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
    /// The direction in which this side sends.
    pub fn sends(self) -> Dir {
        match self {
            Side::Client => Dir::ToServer,
            Side::Server => Dir::ToClient,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IP address and port. Serialised as `"10.0.0.1:443"` / `"[::1]:443"`.
pub type Endpoint = SocketAddr;

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "UTC, RFC 3339 with microseconds, e.g. 2026-03-01T10:22:03.120512Z"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_rfc3339_matches_the_formatted_one() {
        let secs = [
            0i64,
            59,
            951_782_400,
            1_772_360_523,
            4_102_444_799,
            253_402_300_799, // 9999-12-31T23:59:59
            253_402_300_800, // year 10000: slow path
            -1,
            -62_167_219_200, // 0000-01-01
            -62_167_219_201, // year -1: slow path
            i64::MAX / 2,
        ];
        for s in secs {
            for nanos in [0u32, 1_000, 999_999_999, 120_512_000] {
                let t = Timestamp::new(s, nanos);
                assert_eq!(t.rfc3339(), t.rfc3339_slow(), "{s} {nanos}");
                assert_eq!(t.human(), t.human_slow(), "{s} {nanos}");
                let json = serde_json::to_string(&t).expect("serialize");
                assert_eq!(json, format!("\"{}\"", t.rfc3339_slow()));
            }
        }
        assert_eq!(
            Timestamp::new(1_772_360_523, 120_512_000).rfc3339(),
            "2026-03-01T10:22:03.120512Z"
        );
        assert_eq!(
            Timestamp::new(1_772_360_523, 120_512_000).human(),
            "2026-03-01 10:22:03.120 UTC"
        );
    }

    #[test]
    fn civil_round_trip() {
        for secs in [0i64, 951_782_400, 1_772_360_523, -86_400, 4_102_444_800] {
            let (y, m, d, h, mi, s) = civil_from_unix(secs);
            let back = days_from_civil(y, m, d) * 86400 + i64::from(h * 3600 + mi * 60 + s);
            assert_eq!(back, secs);
        }
        assert_eq!(
            Timestamp::new(1_772_360_523, 120_512_000).rfc3339(),
            "2026-03-01T10:22:03.120512Z"
        );
    }

    #[test]
    fn rfc3339_parse() {
        let t = Timestamp::new(1_772_360_523, 120_512_000);
        assert_eq!(parse_rfc3339(&t.rfc3339()), Some(t));
        assert_eq!(
            parse_rfc3339("2026-03-01T10:22:03Z"),
            Some(Timestamp::new(1_772_360_523, 0))
        );
    }
}
