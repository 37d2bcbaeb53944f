//! Rules: across connections (one file per rule).
