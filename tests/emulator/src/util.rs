//! Small helpers shared by the service emulations: timestamps, identifiers and pagination.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Formats epoch seconds as an RFC 3339 UTC timestamp, the way DRS and the admin API show times.
pub fn iso(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| epoch.to_string())
}

/// Parses an RFC 3339 timestamp (what the SDKs send in query strings) into epoch seconds.
pub fn parse_iso(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Parses a query-string timestamp: RFC 3339, or epoch seconds as some clients send them.
pub fn parse_query_time(text: &str) -> Option<i64> {
    parse_iso(text).or_else(|| text.parse::<f64>().ok().map(|s| s.floor() as i64))
}

/// Whether `text` is an ISO 8601 duration as DRS shows lags (`PT20M`, `PT1H30M`, `P1DT2H`,
/// `PT0.5S`): `P`, then day, week, month or year parts, then optionally `T` and hour, minute and
/// second parts (only the last may have a fraction), at least one part in all.
pub fn is_duration(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return false,
        None => (rest, None),
    };
    let parts = |text: &str, units: &[u8]| -> Option<usize> {
        let mut count = 0;
        let mut allowed = units;
        let mut number = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let at = allowed.iter().position(|u| char::from(*u) == c)?;
            let fraction_ok = !number.contains('.') || (c == 'S' && units == b"HMS");
            if number.is_empty() || number.parse::<f64>().is_err() || !fraction_ok {
                return None;
            }
            allowed = &allowed[at + 1..];
            number.clear();
            count += 1;
        }
        number.is_empty().then_some(count)
    };
    let Some(date_parts) = parts(date, b"YMWD") else {
        return false;
    };
    let time_parts = match time {
        Some(time) => match parts(time, b"HMS") {
            Some(0) | None => return false,
            Some(n) => n,
        },
        None => 0,
    };
    date_parts + time_parts > 0
}

/// A mixing function so that identifiers derived from counters look random but stay reproducible.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `n` lowercase hexadecimal characters from the generator.
pub fn hex(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0'))
        .collect()
}

/// An upper-case UUID-shaped identifier, the format AWS Backup uses for job ids.
pub fn uuid_upper(rng: &mut fastrand::Rng) -> String {
    uuid_lower(rng).to_uppercase()
}

/// A lower-case UUID-shaped identifier (SNS message ids, request ids).
pub fn uuid_lower(rng: &mut fastrand::Rng) -> String {
    format!(
        "{}-{}-4{}-a{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 3),
        hex(rng, 3),
        hex(rng, 12)
    )
}

/// Why a pagination token was refused.
#[derive(Debug, thiserror::Error)]
#[error("the pagination token {0:?} is not valid")]
pub struct BadToken(pub String);

/// Prefix of every pagination token, so tokens are recognisable and foreign ones are refused.
const TOKEN_PREFIX: &str = "emu-page-";

/// One page of `items` starting at the position `token` encodes, at most `max` long, and the
/// token of the next page when there is one.
pub fn page<T: Clone>(
    items: &[T],
    token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), BadToken> {
    let start = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| BadToken(t.to_owned()))?,
    };
    let end = start.saturating_add(max.max(1)).min(items.len());
    let next = (end < items.len()).then(|| format!("{TOKEN_PREFIX}{end}"));
    Ok((items[start..end].to_vec(), next))
}

/// Region prefixes outside the `aws` partition, and the partition each belongs to: `aws-cn` (China)
/// and `aws-us-gov` (GovCloud) from the "ARN format" section of "Identify AWS resources with
/// Amazon Resource Names (ARNs)" (IAM user guide); the ISO and European Sovereign Cloud
/// partitions from the `regionRegex` of each partition in the endpoint rules' `partitions.json`
/// that every AWS SDK ships. Longer prefixes first: `us-isob-` is not `us-iso-`.
const PARTITIONS: [(&str, &str); 7] = [
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-gov-", "aws-us-gov"),
    ("eusc-", "aws-eusc"),
    ("cn-", "aws-cn"),
];

/// The partition of a region, the second field of every ARN of a resource in it; a region of no
/// other partition is in `aws`, as the SDKs resolve unknown regions.
pub fn partition(region: &str) -> &'static str {
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// Whether a name looks like an AWS region code (`us-east-1`, `us-gov-west-1`): lowercase words
/// joined by hyphens, ending in a number.
pub fn is_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// Escapes text for XML element content.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        let t = 1_795_000_000;
        assert_eq!(parse_iso(&iso(t)), Some(t));
        assert_eq!(parse_query_time("1795000000.5"), Some(t));
    }

    #[test]
    fn pages_walk_all_items_and_refuse_foreign_tokens() {
        let items: Vec<u32> = (0..7).collect();
        let (first, next) = page(&items, None, 3).expect("first page");
        assert_eq!(first, vec![0, 1, 2]);
        let (second, next) = page(&items, next.as_deref(), 3).expect("second page");
        assert_eq!(second, vec![3, 4, 5]);
        let (third, next) = page(&items, next.as_deref(), 3).expect("third page");
        assert_eq!(third, vec![6]);
        assert!(next.is_none());
        assert!(page(&items, Some("garbage"), 3).is_err());
        assert!(page(&items, Some("emu-page-99"), 3).is_err());
    }

    #[test]
    fn each_region_is_in_its_partition() {
        for (region, want) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(partition(region), want, "{region}");
        }
    }

    #[test]
    fn durations_are_iso_8601_with_at_least_one_part() {
        for (text, want) in [
            ("PT20M", true),
            ("PT0S", true),
            ("PT1H30M", true),
            ("P1DT2H", true),
            ("P2W", true),
            ("PT0.5S", true),
            ("PT", false),
            ("P", false),
            ("20M", false),
            ("PT20", false),
            ("PTM", false),
            ("PT1.5M", false),
            ("PT30M1H", false),
            ("P1H", false),
        ] {
            assert_eq!(is_duration(text), want, "{text}");
        }
    }

    #[test]
    fn xml_escape_covers_markup() {
        assert_eq!(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
