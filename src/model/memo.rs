//! Serialising the parts of a connection that repeat across connections once.
//!
//! On a busy capture thousands of connections carry the same certificate
//! chain and the same lists in their ClientHello; writing them as JSON Lines
//! was most of the writer's time. Inside [`with_memo`], a certificate's JSON
//! and a list of registry values' JSON are serialised once per thread and
//! then copied as raw JSON. The bytes are those serde would write: the memo
//! holds serde_json's own compact output, keyed by the value itself, so it
//! changes speed, never output.
//!
//! Only compact output may use it (a raw fragment is copied verbatim, so a
//! pretty printer would lose its indentation); outside [`with_memo`] the
//! functions here serialise as the derives would.
//!
//! Memory is bounded: each memo is emptied when it reaches [`MAX_ENTRIES`].

use super::{Cert, Named};
use crate::certs::CertSummary;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

/// Entries per memo (per thread) before it is emptied and starts again.
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
struct Memos {
    /// By a hash of the ids; the list is kept to compare on a hit.
    named: HashMap<u64, (Vec<Named>, Box<RawValue>), foldhash::fast::RandomState>,
    /// By address; the `Arc` kept here keeps the address from being reused.
    certs:
        HashMap<*const CertSummary, (Arc<CertSummary>, Box<RawValue>), foldhash::fast::RandomState>,
    hasher: foldhash::fast::RandomState,
}

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static MEMOS: RefCell<Memos> = RefCell::new(Memos::default());
}

/// Runs `f` (compact serde_json serialisation) with the memo on.
pub fn with_memo<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            ENABLED.with(|e| e.set(self.0));
        }
    }
    let _reset = Reset(ENABLED.with(|e| e.replace(true)));
    f()
}

fn enabled() -> bool {
    ENABLED.with(Cell::get)
}

/// Compact JSON of `value` as a raw fragment (`None` if it fails, then the
/// caller serialises normally and the error surfaces there).
fn raw<T: Serialize + ?Sized>(value: &T) -> Option<Box<RawValue>> {
    RawValue::from_string(serde_json::to_string(value).ok()?).ok()
}

/// `serialize_with` for the lists of registry values (cipher suites, groups,
/// signature algorithms, extensions, versions).
pub fn named_list<S: Serializer>(list: &[Named], s: S) -> Result<S::Ok, S::Error> {
    if !enabled() {
        return list.serialize(s);
    }
    let mut s = Some(s);
    let done = MEMOS.with(|m| {
        let mut m = m.try_borrow_mut().ok()?;
        let mut h = m.hasher.build_hasher();
        for n in list {
            n.id.hash(&mut h);
        }
        let key = h.finish();
        if !m.named.contains_key(&key) {
            let json = raw(list)?;
            if m.named.len() >= MAX_ENTRIES {
                m.named.clear();
            }
            m.named.insert(key, (list.to_vec(), json));
        }
        let (kept, json) = m.named.get(&key)?;
        // Same ids and, the rare case of names read back from a document, same names.
        if kept.as_slice() != list {
            return None;
        }
        Some(json.serialize(s.take()?))
    });
    match (done, s) {
        (Some(result), _) => result,
        (None, Some(s)) => list.serialize(s),
        (None, None) => Err(serde::ser::Error::custom("memo lost the serializer")),
    }
}

impl Serialize for Cert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !enabled() {
            return self.summary.serialize(s);
        }
        let key = Arc::as_ptr(&self.summary);
        let mut s = Some(s);
        let done = MEMOS.with(|m| {
            let mut m = m.try_borrow_mut().ok()?;
            if !m.certs.contains_key(&key) {
                let json = raw(&*self.summary)?;
                if m.certs.len() >= MAX_ENTRIES {
                    m.certs.clear();
                }
                m.certs.insert(key, (Arc::clone(&self.summary), json));
            }
            let (_, json) = m.certs.get(&key)?;
            Some(json.serialize(s.take()?))
        });
        match (done, s) {
            (Some(result), _) => result,
            (None, Some(s)) => self.summary.serialize(s),
            (None, None) => Err(serde::ser::Error::custom("memo lost the serializer")),
        }
    }
}
