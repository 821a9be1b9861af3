//! Wall-clock time as the functions' pure plans take it: whole seconds since the Unix epoch.

use aws_smithy_types::date_time::{DateTime, Format};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch now (0 if the clock is before the epoch).
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// An epoch time as RFC 3339 (`2026-12-01T11:00:00Z`), as reports show times.
pub fn fmt_time(secs: i64) -> String {
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| format!("{secs} s after the epoch"))
}

/// An RFC 3339 time (as AWS's ISO 8601 date-time strings are) in epoch seconds, fractions
/// dropped; `None` for anything else.
pub fn parse_time(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3339_times_parse_with_fractions_and_offsets() {
        let cases = [
            ("2025-12-01T11:00:00Z", Some(1_764_586_800)),
            ("2025-12-01T11:00:00.750Z", Some(1_764_586_800)),
            ("2025-12-01T12:00:00+01:00", Some(1_764_586_800)),
            ("2025-12-01", None),
            ("yesterday", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_time(text), want, "{text}");
        }
    }

    #[test]
    fn a_time_is_shown_in_rfc_3339() {
        assert_eq!(fmt_time(1_764_586_800), "2025-12-01T11:00:00Z");
    }

    #[test]
    fn now_is_after_this_code_was_written() {
        assert!(now_secs() > 1_764_586_800);
    }
}
