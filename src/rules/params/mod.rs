//! Rules: version and parameters (one file per rule), plus `refusal`, the
//! shared reading of a server's refusal of the ClientHello.
pub(crate) mod refusal;
