//! Which key decrypts the next record of each direction of one connection.
//!
//! The key log is looked up by the ClientHello random once the ServerHello
//! says which version and suite are in force. TLS 1.3: handshake traffic
//! secrets right after the ServerHello, application secrets after each side's
//! Finished, the next generation after a KeyUpdate. TLS 1.2: keys expanded
//! from the master secret, switched on by each side's ChangeCipherSpec (again
//! for a renegotiation). A record that does not authenticate ends decryption
//! of that direction; the session then carries on as without keys.

use super::decrypt::{KeyLog, RecordDecryptor, Secrets, Tls12Keys, suite_supported};
use super::handshake::{HandshakeMsg, ServerHello};
use super::session::{DecryptFailure, Decryption};
use crate::types::{Dir, FrameNo};
use std::sync::Arc;

/// encrypt_then_mac (RFC 7366).
const EXT_ENCRYPT_THEN_MAC: u16 = 22;

/// Per-connection decryption state.
#[derive(Debug, Default)]
pub(super) struct Crypto {
    keys: Option<Arc<KeyLog>>,
    client_random: Option<[u8; 32]>,
    secrets: Option<Secrets>,
    /// Decryptor in force per direction (indexed by `Dir::index`).
    active: [Option<RecordDecryptor>; 2],
    /// TLS 1.2: keys for after the next ChangeCipherSpec of each direction.
    pending: [Option<RecordDecryptor>; 2],
    /// TLS 1.3: application keys for after each direction's Finished.
    next_app: [Option<RecordDecryptor>; 2],
    /// Switch to `next_app` (or the KeyUpdate generation) after the current record.
    switch: [Option<Switch>; 2],
    /// Decryption of a direction ended (failure or gap).
    ended: [bool; 2],
    /// Records decrypted per direction in the current run of keys.
    decrypted: [u64; 2],
    pub(super) info: Option<Decryption>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Switch {
    Application,
    KeyUpdate,
}

fn slot<T>(a: &mut [T; 2], dir: Dir) -> Option<&mut T> {
    a.get_mut(dir.index())
}

impl Crypto {
    pub(super) fn new(keys: Option<Arc<KeyLog>>) -> Crypto {
        let info = keys.as_ref().map(|_| Decryption::default());
        Crypto {
            keys,
            info,
            ..Crypto::default()
        }
    }

    /// Uses `keys` from now on (a pcapng Decryption Secrets Block can arrive
    /// after a connection opened): cheap when they are the same.
    pub(super) fn set_keys(&mut self, keys: &Option<Arc<KeyLog>>) {
        let same = match (&self.keys, keys) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.keys.clone_from(keys);
            if keys.is_some() {
                self.info.get_or_insert_with(Decryption::default);
            }
        }
    }

    /// True when records of `dir` should be buffered whole and decrypted.
    pub(super) fn can_decrypt(&self, dir: Dir) -> bool {
        self.active.get(dir.index()).is_some_and(Option::is_some)
    }

    /// True when a ChangeCipherSpec of `dir` would switch keys on.
    fn has_pending(&self, dir: Dir) -> bool {
        self.pending.get(dir.index()).is_some_and(Option::is_some)
    }

    pub(super) fn on_message(&mut self, dir: Dir, msg: &HandshakeMsg, client_dir: Option<Dir>) {
        if self.keys.is_none() {
            return;
        }
        match msg {
            HandshakeMsg::ClientHello(ch) => {
                let mut cr = [0u8; 32];
                if !ch.sslv2_format && hex::decode_to_slice(&ch.random, &mut cr).is_ok() {
                    self.client_random = Some(cr);
                }
            }
            HandshakeMsg::ServerHello(sh) => self.on_server_hello(sh, dir, client_dir),
            HandshakeMsg::Finished { .. } if self.tls13() => {
                if let Some(s) = slot(&mut self.switch, dir) {
                    *s = Some(Switch::Application);
                }
            }
            HandshakeMsg::KeyUpdate { .. } => {
                if let Some(s) = slot(&mut self.switch, dir) {
                    *s = Some(Switch::KeyUpdate);
                }
            }
            _ => {}
        }
    }

    fn tls13(&self) -> bool {
        self.info.as_ref().is_some_and(|i| i.tls13)
    }

    fn on_server_hello(&mut self, sh: &ServerHello, server_dir: Dir, client_dir: Option<Dir>) {
        let (Some(keys), Some(info)) = (self.keys.as_ref(), self.info.as_mut()) else {
            return;
        };
        let client_dir = client_dir.unwrap_or(server_dir.flip());
        let Some(cr) = self.client_random else {
            info.note = Some("no ClientHello random seen: keys cannot be looked up".into());
            return;
        };
        let Some(secrets) = keys.get(&cr) else {
            return;
        };
        info.key_found = true;
        info.secrets = secrets.labels().into_iter().map(str::to_string).collect();
        self.secrets = Some(secrets.clone());
        let version = sh.selected_version.id;
        let suite = sh.cipher_suite.id;
        let suite_name = sh.cipher_suite.name;
        if !suite_supported(version, suite, suite_name) {
            info.note = Some(format!(
                "decrypting {} with {} is not supported",
                sh.selected_version.name.unwrap_or("this version"),
                suite_name.unwrap_or("this cipher suite")
            ));
            return;
        }
        if version == 0x0304 {
            info.tls13 = true;
            let hs =
                |s: &Option<Vec<u8>>| s.as_deref().and_then(|s| RecordDecryptor::tls13(suite, s));
            let set = |a: &mut [Option<RecordDecryptor>; 2], dir: Dir, d| {
                if let Some(x) = slot(a, dir) {
                    *x = d;
                }
            };
            set(&mut self.active, server_dir, hs(&secrets.server_handshake));
            set(&mut self.active, client_dir, hs(&secrets.client_handshake));
            set(
                &mut self.next_app,
                server_dir,
                hs(&secrets.server_traffic_0),
            );
            set(
                &mut self.next_app,
                client_dir,
                hs(&secrets.client_traffic_0),
            );
            let missing: Vec<&str> = [
                (&secrets.server_handshake, "SERVER_HANDSHAKE_TRAFFIC_SECRET"),
                (&secrets.client_handshake, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
                (&secrets.server_traffic_0, "SERVER_TRAFFIC_SECRET_0"),
                (&secrets.client_traffic_0, "CLIENT_TRAFFIC_SECRET_0"),
            ]
            .into_iter()
            .filter_map(|(s, l)| s.is_none().then_some(l))
            .collect();
            if !missing.is_empty() {
                info.note = Some(format!("the key log lacks {}", missing.join(", ")));
            }
            return;
        }
        let Some(master) = secrets.master.as_deref() else {
            info.note = Some("the key log has no CLIENT_RANDOM (master secret) line".into());
            return;
        };
        let mut sr = [0u8; 32];
        if hex::decode_to_slice(&sh.random, &mut sr).is_err() {
            return;
        }
        let etm = sh.extensions.iter().any(|e| e.id == EXT_ENCRYPT_THEN_MAC);
        match suite_name.and_then(|n| Tls12Keys::derive(n, master, &cr, &sr, etm)) {
            Some(k) => {
                self.pending = match client_dir {
                    Dir::ToServer => [Some(k.client), Some(k.server)],
                    Dir::ToClient => [Some(k.server), Some(k.client)],
                };
            }
            None => info.note = Some("the TLS 1.2 key expansion failed".into()),
        }
    }

    /// A ChangeCipherSpec of `dir` (TLS ≤ 1.2): the pending keys take over.
    pub(super) fn on_ccs(&mut self, dir: Dir) {
        if self.has_pending(dir) {
            let next = slot(&mut self.pending, dir).and_then(Option::take);
            if let Some(a) = slot(&mut self.active, dir) {
                *a = next;
            }
            if let Some(e) = slot(&mut self.ended, dir) {
                *e = false;
            }
        }
    }

    /// Decrypts one whole record of `dir` with the key in force.
    pub(super) fn open(
        &mut self,
        dir: Dir,
        header: &[u8; 5],
        body: &[u8],
        frame: FrameNo,
    ) -> Option<super::decrypt::Plaintext> {
        let d = slot(&mut self.active, dir)?.as_mut()?;
        match d.open(header, body) {
            Ok(p) => {
                if let Some(n) = slot(&mut self.decrypted, dir) {
                    *n += 1;
                }
                if let Some(info) = self.info.as_mut() {
                    info.records_decrypted += 1;
                }
                Some(p)
            }
            Err(e) => {
                let before = self.decrypted.get(dir.index()).copied().unwrap_or(0);
                self.end(dir);
                if let Some(info) = self.info.as_mut() {
                    info.failures.push(DecryptFailure {
                        dir,
                        frame,
                        records_before: before,
                        message: e.to_string(),
                    });
                }
                None
            }
        }
    }

    /// Applies a key change the record just decrypted asked for.
    pub(super) fn after_record(&mut self, dir: Dir) {
        let Some(sw) = slot(&mut self.switch, dir).and_then(Option::take) else {
            return;
        };
        let next = match sw {
            Switch::Application => slot(&mut self.next_app, dir).and_then(Option::take),
            Switch::KeyUpdate => self
                .active
                .get(dir.index())
                .and_then(Option::as_ref)
                .and_then(RecordDecryptor::key_update),
        };
        if let Some(a) = slot(&mut self.active, dir) {
            *a = next;
        }
    }

    /// Stops decrypting `dir` (after a failure, or a gap that lost records).
    pub(super) fn end(&mut self, dir: Dir) {
        for a in [&mut self.active, &mut self.pending, &mut self.next_app] {
            if let Some(x) = slot(a, dir) {
                *x = None;
            }
        }
        if let Some(e) = slot(&mut self.ended, dir) {
            *e = true;
        }
    }

    /// Decryption was under way in `dir` and a TCP gap cut it.
    pub(super) fn on_gap(&mut self, dir: Dir) {
        if self.can_decrypt(dir) {
            self.end(dir);
            if let Some(info) = self.info.as_mut() {
                info.note.get_or_insert_with(|| {
                    "a gap in the TCP stream ended decryption (record numbers unknown)".into()
                });
            }
        }
    }
}
