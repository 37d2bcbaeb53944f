//! TLS: record layer and handshake messages, decoded from reassembled
//! per-direction byte streams into a per-connection [`TlsSession`].
//!
//! The TCP stage hands each direction's in-order bytes (and gaps) to a
//! [`TlsConnDecoder`]. Records split over segments and handshake messages split
//! over records are reassembled here with bounded buffers; records after
//! encryption starts are counted, not decoded. All wire parsing uses the
//! bounded [`reader::Reader`]; tls-parser contributes only its cipher-suite
//! table, and none of its types appear in this module's public API.

pub mod decrypt;
pub mod enums;
pub mod extensions;
pub mod handshake;
pub mod prelude;
pub mod reader;
pub mod session;

mod direction;
mod keys;

use crate::tcp::Interest;
use crate::types::{Dir, FrameNo, Timestamp};
pub use decrypt::KeyLog;
use direction::DirState;
pub use enums::IanaValue;
pub use extensions::{DistinguishedName, ExtensionInfo};
pub use handshake::{
    CertEntry, Certificate, CertificateRequest, CertificateStatus, CertificateVerify, ClientHello,
    EncryptedExtensions, HandshakeMsg, HsContext, NewSessionTicket, ServerHello, ServerKeyExchange,
};
pub use session::{
    AlertEvent, CcsEvent, DecryptFailure, Decryption, EncryptedRecord, HandshakeEvent,
    HandshakeGap, Malformed, NotTls, Prelude, RecordStats, RecordVersion, TlsLimits, TlsSession,
};

/// Decodes one handshake message body (type, body without the 4-byte header).
/// Exposed for a later decryption layer, which feeds TLS 1.3 plaintext.
pub fn decode_handshake(msg_type: u8, body: &[u8], ctx: &HsContext) -> HandshakeMsg {
    handshake::decode(msg_type, body, ctx)
}

/// Decodes both directions of one connection.
pub struct TlsConnDecoder {
    shared: Shared,
    dirs: [DirState; 2],
}

/// State both directions read and write: the session being built and what
/// the ServerHello negotiated.
struct Shared {
    limits: TlsLimits,
    session: TlsSession,
    ctx: HsContext,
    client_dir: Option<Dir>,
    /// A non-HRR TLS 1.3 ServerHello was seen: handshake records are encrypted from now on.
    tls13_keys: bool,
    /// Keys in force per direction, when a key log was given.
    crypto: keys::Crypto,
}

impl Shared {
    /// Records that a limit was reached, once per distinct text.
    fn hit(&mut self, what: String) {
        if !self.session.limits_hit.contains(&what) {
            self.session.limits_hit.push(what);
        }
    }

    /// Records a decode error (bounded).
    fn malformed(&mut self, dir: Dir, frame: FrameNo, offset: u64, message: String) {
        if self.session.malformed.len() < self.limits.max_malformed {
            self.session.malformed.push(Malformed {
                dir,
                frame,
                offset,
                message,
            });
        } else {
            self.hit(format!(
                "more than {} malformed entries",
                self.limits.max_malformed
            ));
        }
    }

    fn stats(&mut self, dir: Dir) -> &mut RecordStats {
        match dir {
            Dir::ToServer => &mut self.session.records_to_server,
            Dir::ToClient => &mut self.session.records_to_client,
        }
    }

    /// Adds a completed handshake message and updates negotiated state.
    fn push_message(&mut self, ev: HandshakeEvent) {
        match &ev.body {
            HandshakeMsg::ClientHello(_) if self.client_dir.is_none() => {
                self.client_dir = Some(ev.dir);
                self.session.roles_swapped = ev.dir == Dir::ToClient;
            }
            HandshakeMsg::ServerHello(sh) => {
                self.ctx.version = Some(sh.selected_version.id);
                self.ctx.cipher_suite = Some(sh.cipher_suite.id);
                self.session.negotiated_version = Some(sh.selected_version.clone());
                self.session.negotiated_cipher_suite = Some(sh.cipher_suite.clone());
                if enums::is_tls13(sh.selected_version.id) {
                    self.tls13_keys = true;
                }
            }
            HandshakeMsg::HelloRetryRequest(hrr) => {
                // Fixes the version (so a compatibility CCS is not taken as
                // encryption) without starting encryption.
                self.ctx.version = Some(hrr.selected_version.id);
            }
            _ => {}
        }
        self.crypto.on_message(ev.dir, &ev.body, self.client_dir);
        if self.session.messages.len() < self.limits.max_messages {
            self.session.messages.push(ev);
        } else {
            self.hit(format!(
                "more than {} handshake messages",
                self.limits.max_messages
            ));
        }
    }
}

impl TlsConnDecoder {
    /// A decoder for one connection.
    pub fn new(limits: TlsLimits) -> Self {
        Self::with_keys(limits, None)
    }

    /// A decoder that decrypts what `keys` has secrets for. `Some` (even an
    /// empty log) means keys were given: the session then says what decryption did.
    pub fn with_keys(limits: TlsLimits, keys: Option<std::sync::Arc<KeyLog>>) -> Self {
        TlsConnDecoder {
            shared: Shared {
                limits,
                session: TlsSession::default(),
                ctx: HsContext::default(),
                client_dir: None,
                tls13_keys: false,
                crypto: keys::Crypto::new(keys),
            },
            dirs: [DirState::new(Dir::ToServer), DirState::new(Dir::ToClient)],
        }
    }

    /// Uses `keys` for what is still to be decrypted (see [`Self::with_keys`]).
    pub fn set_keys(&mut self, keys: &Option<std::sync::Arc<KeyLog>>) {
        self.shared.crypto.set_keys(keys);
    }

    /// In-order bytes of `dir` starting at stream `offset`, all from `frame`.
    pub fn on_data(
        &mut self,
        dir: Dir,
        offset: u64,
        data: &[u8],
        frame: FrameNo,
        ts: Timestamp,
    ) -> Interest {
        let idx = dir.index();
        let Some(d) = self.dirs.get_mut(idx) else {
            return Interest::CountOnly;
        };
        d.on_data(&mut self.shared, offset, data, frame, ts)
    }

    /// Bytes `offset..offset+len` of `dir` never arrived.
    pub fn on_gap(&mut self, dir: Dir, offset: u64, len: u64) {
        if let Some(d) = self.dirs.get_mut(dir.index()) {
            d.on_gap(&mut self.shared, offset, len);
        }
    }

    /// Ends decoding and returns what was found.
    pub fn finish(self) -> TlsSession {
        let TlsConnDecoder { mut shared, dirs } = self;
        let [to_server, to_client] = dirs;
        let ends = [to_server.finish(&mut shared), to_client.finish(&mut shared)];
        direction::summarise_plaintext(&mut shared.session, ends);
        shared.session.decryption = shared.crypto.info.take();
        shared.session
    }
}

#[cfg(test)]
mod tests;
