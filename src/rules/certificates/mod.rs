//! Rules: certificates (one file per rule).
