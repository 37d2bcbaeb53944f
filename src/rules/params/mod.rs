//! Rules: params (one file per rule).
