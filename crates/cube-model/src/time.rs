//! Conversion between Unix seconds and the API's ISO-8601 UTC timestamps, without a clock.
//!
//! The API writes `created_at` / `updated_at` as `2024-01-02T03:04:05Z` and `date_sent` as Unix
//! seconds. Wire structs keep the ISO strings as the server sent them; these helpers convert.

use std::fmt::Write as _;

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// The text is not `YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)`.
    #[error("not an ISO-8601 UTC timestamp: {0:?}")]
    Malformed(String),
    /// A component is out of range (month 13, hour 25, ...).
    #[error("timestamp component out of range: {0:?}")]
    OutOfRange(String),
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01, as (year, month, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC), e.g. `2024-01-02T03:04:05Z`.
///
/// Years outside 0..=9999 are written with as many digits as they need (and a sign if negative).
pub fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(20);
    if (0..=9999).contains(&y) {
        let _ = write!(out, "{y:04}");
    } else {
        let _ = write!(out, "{y}");
    }
    let _ = write!(
        out,
        "-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
    out
}

fn digits(s: &str, full: &str) -> Result<i64, TimeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError::Malformed(full.to_owned()));
    }
    s.parse().map_err(|_| TimeError::Malformed(full.to_owned()))
}

/// Parses an ISO-8601 timestamp into Unix seconds (fractions of a second are dropped).
///
/// Accepted: `2024-01-02T03:04:05Z`, `2024-01-02T03:04:05.000Z`, a space instead of `T`, a
/// lowercase `z`, and numeric offsets `+01:00` / `-0530`.
pub fn parse_iso(s: &str) -> Result<i64, TimeError> {
    let bad = || TimeError::Malformed(s.to_owned());
    let trimmed = s.trim();
    let (date, rest) = trimmed.split_at_checked(10).ok_or_else(bad)?;
    let mut parts = date.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return Err(bad());
    }
    let (year, month, day) = (digits(year, s)?, digits(month, s)?, digits(day, s)?);
    let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
    let (hms, mut zone) = rest.split_at_checked(8).ok_or_else(bad)?;
    let bytes = hms.as_bytes();
    if bytes[2] != b':' || bytes[5] != b':' {
        return Err(bad());
    }
    let hour = digits(&hms[0..2], s)?;
    let minute = digits(&hms[3..5], s)?;
    let second = digits(&hms[6..8], s)?;
    if let Some(frac) = zone.strip_prefix(['.', ',']) {
        let end = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        if end == 0 {
            return Err(bad());
        }
        zone = &frac[end..];
    }
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let (sign, hm) = match zone.split_at_checked(1) {
                Some(("+", hm)) => (1, hm),
                Some(("-", hm)) => (-1, hm),
                _ => return Err(bad()),
            };
            let hm = hm.replace(':', "");
            if hm.len() != 4 || !hm.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let (oh, om) = (digits(&hm[0..2], s)?, digits(&hm[2..4], s)?);
            if oh > 23 || om > 59 {
                return Err(TimeError::OutOfRange(s.to_owned()));
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(TimeError::OutOfRange(s.to_owned()));
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_golden_timestamp() {
        assert_eq!(format_unix(1_704_164_645), "2024-01-02T03:04:05Z");
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_unix(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn parses_every_accepted_form() {
        for s in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.000Z",
            "2024-01-02 03:04:05z",
            "2024-01-02T04:04:05+01:00",
            "2024-01-01T22:34:05-0430",
        ] {
            assert_eq!(parse_iso(s), Ok(1_704_164_645), "{s}");
        }
    }

    #[test]
    fn rejects_bad_timestamps() {
        for s in [
            "",
            "2024-01-02",
            "2024-13-02T03:04:05Z",
            "2023-02-29T03:04:05Z",
            "2024-01-02T24:04:05Z",
            "2024-01-02T03:04:05",
            "2024-01-02T03:04:05.Z",
            "2024-01-02X03:04:05Z",
            "2024-01-02T03-04-05Z",
            "２０２４-01-02T03:04:05Z",
            "+024-01-02T03:04:05Z",
        ] {
            assert!(parse_iso(s).is_err(), "{s}");
        }
    }

    #[test]
    fn round_trips_over_a_wide_range() {
        let mut t: i64 = -62_135_596_800; // 0001-01-01
        while t < 253_402_300_799 {
            assert_eq!(parse_iso(&format_unix(t)), Ok(t));
            t += 86_399 * 37 + 13;
        }
    }
}
