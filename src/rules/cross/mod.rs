//! Rules: cross (one file per rule).
