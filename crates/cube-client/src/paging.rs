//! Lists as streams that fetch the next page when the previous one is used up.

use std::future::Future;

use cube_model::{Page, Query};
use cube_rest::paging::{MAX_LIMIT, effective_limit, next_page};
use futures_util::stream::{self, Stream, TryStreamExt};

use crate::error::Error;

/// The page size and first offset of a listing: the query's own limit (at most 100) and skip.
pub(crate) fn page_plan(query: &Query) -> (u32, u64) {
    let limit = query.limit.map_or(MAX_LIMIT, |l| {
        effective_limit(u32::try_from(l).unwrap_or(MAX_LIMIT))
    });
    (limit, query.start())
}

/// A stream of every item of a listing, fetching pages of `limit` from `start` on.
///
/// `fetch(skip, limit)` gets one page; the next page is asked for only when the consumer has
/// taken every item of the previous one, and cube-rest's [`next_page`] decides when the
/// listing is complete (an empty or short page, or `total_entries` reached), so a listing
/// whose last page is exactly full ends after one empty page and never loops.
pub(crate) fn paged<T, F, Fut>(
    limit: u32,
    start: u64,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send
where
    T: Send,
    F: FnMut(u64, u32) -> Fut + Send,
    Fut: Future<Output = Result<Page<T>, Error>> + Send,
{
    stream::try_unfold((fetch, Some(start)), move |(mut fetch, skip)| async move {
        let Some(skip) = skip else {
            return Ok::<_, Error>(None);
        };
        let page = fetch(skip, limit).await?;
        let next = next_page(limit, skip, page.items.len(), page.total_entries);
        let items = stream::iter(page.items.into_iter().map(Ok::<T, Error>));
        Ok(Some((items, (fetch, next))))
    })
    .try_flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn run<S: Stream>(s: S) -> Vec<S::Item> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(s.collect())
    }

    #[test]
    fn pages_until_the_listing_ends() {
        // 250 items served 100 at a time, without total_entries.
        let all: Vec<u32> = (0..250).collect();
        let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = calls.clone();
        let s = paged(100, 0, move |skip, limit| {
            seen.lock().unwrap().push(skip);
            let items: Vec<u32> = all
                .iter()
                .skip(skip as usize)
                .take(limit as usize)
                .copied()
                .collect();
            async move { Ok(Page::new(skip, u64::from(limit), items)) }
        });
        let got: Vec<u32> = run(s).into_iter().map(Result::unwrap).collect();
        assert_eq!(got, (0..250).collect::<Vec<_>>());
        assert_eq!(*calls.lock().unwrap(), [0, 100, 200]);
    }

    #[test]
    fn stops_at_total_entries_and_on_errors() {
        let s = paged(2, 0, |skip, _| async move {
            Ok(Page::new(skip, 2, vec![skip, skip + 1]).with_total(4))
        });
        let got: Vec<u64> = run(s).into_iter().map(Result::unwrap).collect();
        assert_eq!(got, [0, 1, 2, 3]);

        let s = paged::<u64, _, _>(2, 0, |_, _| async move {
            Err(Error::Timeout {
                call: crate::error::Call::of::<cube_rest::chat::list_dialogs::Request>(),
            })
        });
        let got = run(s);
        assert_eq!(got.len(), 1);
        assert!(got[0].is_err());
    }

    #[test]
    fn plan_clamps_the_page_size() {
        assert_eq!(page_plan(&Query::new()), (100, 0));
        assert_eq!(
            page_plan(&Query::new().with_limit(500).with_skip(7)),
            (100, 7)
        );
        assert_eq!(
            page_plan(&Query::new().with_limit(10).with_offset(3)),
            (10, 3)
        );
    }
}
