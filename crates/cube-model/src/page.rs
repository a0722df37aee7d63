//! List envelopes: `{total_entries, skip, limit, items}`.

use serde::{Deserialize, Serialize};

use crate::de;

/// One page of a list (users v2, dialogs, messages, occupants).
///
/// The message list has no `total_entries`; it is then `None` and not encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "Page_of_{T}"))]
#[non_exhaustive]
pub struct Page<T> {
    /// Number of matching entries over all pages, when the endpoint reports it.
    #[serde(
        default,
        deserialize_with = "de::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_entries: Option<u64>,
    /// Number of entries skipped before this page.
    #[serde(default, deserialize_with = "de::u64_or_zero")]
    pub skip: u64,
    /// The page size asked for (or the server's default).
    #[serde(default, deserialize_with = "de::u64_or_zero")]
    pub limit: u64,
    /// The entries of this page.
    #[serde(default = "Vec::<T>::new", bound(deserialize = "T: Deserialize<'de>"))]
    pub items: Vec<T>,
}

impl<T> Page<T> {
    /// A page without `total_entries`.
    pub fn new(skip: u64, limit: u64, items: Vec<T>) -> Self {
        Page {
            total_entries: None,
            skip,
            limit,
            items,
        }
    }

    /// Sets `total_entries`.
    pub fn with_total(mut self, total: u64) -> Self {
        self.total_entries = Some(total);
        self
    }

    /// The `skip` of the next page, or `None` when this page is the last one.
    ///
    /// With `total_entries`, the list ends when it is reached; without it, a page shorter than
    /// `limit` (or empty) is the last one.
    pub fn next_skip(&self) -> Option<u64> {
        let next = self.skip.saturating_add(self.items.len() as u64);
        if self.items.is_empty() {
            return None;
        }
        match self.total_entries {
            Some(total) => (next < total).then_some(next),
            None => (self.limit == 0 || (self.items.len() as u64) >= self.limit).then_some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_with_and_without_total() {
        let p = Page::new(0, 10, vec![1, 2]).with_total(3);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"total_entries":3,"skip":0,"limit":10,"items":[1,2]}"#
        );
        let m: Page<u8> =
            serde_json::from_value(json!({"skip": "0", "limit": 100, "items": []})).unwrap();
        assert_eq!(m.total_entries, None);
        assert!(!serde_json::to_string(&m).unwrap().contains("total_entries"));
    }

    #[test]
    fn next_page() {
        assert_eq!(
            Page::new(0, 2, vec![1, 2]).with_total(3).next_skip(),
            Some(2)
        );
        assert_eq!(Page::new(2, 2, vec![3]).with_total(3).next_skip(), None);
        assert_eq!(Page::new(0, 2, vec![1, 2]).next_skip(), Some(2));
        assert_eq!(Page::new(2, 2, vec![3]).next_skip(), None);
        assert_eq!(
            Page::<u8>::new(0, 2, vec![]).with_total(9).next_skip(),
            None
        );
    }
}
