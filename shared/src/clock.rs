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

/// Seconds in an ISO 8601 duration such as `PT1H2M3S`, `P1DT2H` or `PT0.5S` (fractions of a
/// second dropped), as DRS and MGN write `lagDuration` [DRS API reference:
/// DataReplicationInfo, ISO8601DurationString]; `None` for anything else. Years and months are refused: their
/// length in seconds is not fixed.
pub fn iso_duration(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut seconds: i64 = 0;
    let mut any = false;
    let mut add = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let &(_, unit) = units.iter().find(|(u, _)| *u == c)?;
            let whole = number.split('.').next().filter(|w| !w.is_empty())?;
            seconds = seconds.checked_add(whole.parse::<i64>().ok()?.checked_mul(unit)?)?;
            number.clear();
            any = true;
        }
        number.is_empty().then_some(())
    };
    add(days, &[('W', 604_800), ('D', 86_400)])?;
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        add(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(seconds)
}

/// `seconds` as days, hours, minutes and seconds (`1d 2h 5m`), leaving out zero parts, for
/// reasons: the units `DRS_DRILL_EVERY` and the other durations are written in.
pub fn human(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
        seconds % 60,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
        .into_iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".to_owned()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_days_hours_minutes_and_seconds() {
        for (seconds, want) in [
            (0, "0s"),
            (59, "59s"),
            (900, "15m"),
            (3_600, "1h"),
            (3_723, "1h 2m 3s"),
            (86_400, "1d"),
            (100_000, "1d 3h 46m 40s"),
            (7 * 86_400, "7d"),
        ] {
            assert_eq!(human(seconds), want);
        }
    }

    #[test]
    fn iso_durations_read_as_seconds() {
        let cases = [
            ("PT0S", Some(0)),
            ("PT20M", Some(1_200)),
            ("PT1H2M3S", Some(3_723)),
            ("P1DT2H", Some(93_600)),
            ("P2W", Some(1_209_600)),
            ("PT0.5S", Some(0)),
            ("PT1M30.25S", Some(90)),
            ("P1Y", None),
            ("PT", None),
            ("P", None),
            ("20M", None),
            ("PT5X", None),
            ("PT5", None),
        ];
        for (text, want) in cases {
            assert_eq!(iso_duration(text), want, "{text}");
        }
    }

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
