//! Deliver each message once: a bounded set of the ids seen most recently.

use std::collections::{HashSet, VecDeque};

/// The last `capacity` message ids, oldest evicted first.
#[derive(Debug)]
pub(crate) struct Seen {
    order: VecDeque<String>,
    set: HashSet<String>,
    capacity: usize,
}

impl Seen {
    /// An empty set holding at most `capacity` ids.
    pub(crate) fn new(capacity: usize) -> Self {
        Seen {
            order: VecDeque::with_capacity(capacity.min(4096)),
            set: HashSet::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
        }
    }

    /// Records `id`; false when it was already there (a duplicate to drop).
    pub(crate) fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(id.to_owned());
        self.set.insert(id.to_owned());
        true
    }

    /// Whether `id` was seen (and not yet evicted).
    #[cfg(test)]
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn drops_duplicates_and_evicts_the_oldest() {
        let mut s = Seen::new(2);
        assert!(s.insert("a"));
        assert!(!s.insert("a"));
        assert!(s.insert("b"));
        assert!(s.insert("c"));
        assert!(!s.contains("a"));
        assert!(s.contains("b") && s.contains("c"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn never_exceeds_capacity_and_keeps_the_newest(ids in proptest::collection::vec(0u8..40, 0..200)) {
            let mut s = Seen::new(16);
            for id in &ids {
                s.insert(&id.to_string());
                prop_assert!(s.order.len() <= 16 && s.set.len() == s.order.len());
            }
            if let Some(last) = ids.last() {
                prop_assert!(s.contains(&last.to_string()));
            }
        }
    }
}
