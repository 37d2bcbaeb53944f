//! Rules: alerts (one file per rule).
