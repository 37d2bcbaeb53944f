//! Rules: decryption with `--keylog` or the capture's own secrets (one file per rule).
pub(crate) mod keys_missing;
pub(crate) mod keys_wrong;
