//! Rules: transport (one file per rule).
