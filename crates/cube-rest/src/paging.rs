//! Which page to ask for next: a pure decision over what the last page returned.

/// The largest page ConnectyCube serves; larger limits are clamped to it.
pub const MAX_LIMIT: u32 = 100;

/// The limit actually in effect: 0 means the server default (100), above 100 is clamped.
pub fn effective_limit(limit: u32) -> u32 {
    if limit == 0 {
        MAX_LIMIT
    } else {
        limit.min(MAX_LIMIT)
    }
}

/// The `skip` (or `offset`) of the next page, or `None` when the listing is complete.
///
/// The listing is complete when the page was empty, shorter than the effective limit, or when
/// `total_entries` (if the server sent it) has been reached.
pub fn next_page(
    limit: u32,
    skip: u64,
    items_len: usize,
    total_entries: Option<u64>,
) -> Option<u64> {
    let items = items_len as u64;
    if items == 0 || items < u64::from(effective_limit(limit)) {
        return None;
    }
    let next = skip.saturating_add(items);
    if next == skip {
        return None;
    }
    match total_entries {
        Some(total) if next >= total => None,
        _ => Some(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_on_short_empty_or_complete_pages() {
        assert_eq!(next_page(10, 0, 10, None), Some(10));
        assert_eq!(next_page(10, 10, 9, None), None);
        assert_eq!(next_page(10, 10, 0, Some(100)), None);
        assert_eq!(next_page(10, 90, 10, Some(100)), None);
        assert_eq!(next_page(10, 80, 10, Some(100)), Some(90));
        assert_eq!(next_page(500, 0, 100, None), Some(100));
        assert_eq!(next_page(0, 0, 100, Some(250)), Some(100));
        assert_eq!(next_page(0, 0, 50, Some(250)), None);
        assert_eq!(next_page(10, u64::MAX, 10, None), None);
    }
}
