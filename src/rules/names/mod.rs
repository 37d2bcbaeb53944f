//! Rules: names (one file per rule).
