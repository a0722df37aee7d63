//! Time formats of the wire: ISO 8601 dates and the token expiry header.

use time::OffsetDateTime;
use time::macros::format_description;

fn at(millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2024-01-02T03:04:05Z` for unix milliseconds.
pub fn iso(millis: i64) -> String {
    at(millis)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// `2026-11-28 11:22:33 UTC`, the `CB-Token-ExpirationDate` form, for unix milliseconds.
pub fn expiration_header(millis: i64) -> String {
    at(millis)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(iso(1_704_164_645_000), "2024-01-02T03:04:05Z");
        assert_eq!(
            expiration_header(1_704_164_645_999),
            "2024-01-02 03:04:05 UTC"
        );
    }
}
