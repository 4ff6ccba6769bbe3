//! Lists in pages: cursors that are positions in a list (any string is one), ordered
//! indexes read newest first from a cursor, and pages of `limit` items with `has_more` and
//! `next_cursor`. Nothing here knows HTTP.

use std::collections::{BTreeMap, HashMap};

/// A cursor from the query: the position after which the page starts.
///
/// Items are listed newest first by their position key ([`position`]); a cursor is the key
/// of the last item of the previous page, and the next page holds the items whose keys sort
/// before it. Any string is a position in that order (keys are compared as strings), so
/// every cursor the spec allows, a `next_cursor` or not, gives a page, possibly empty, and
/// never an error: the spec says only `type: string`.
pub(crate) fn cursor(query: &HashMap<String, String>) -> Option<&str> {
    query.get("cursor").map(String::as_str)
}

/// The position key of an item created with sequence number `seq`: its decimal digits,
/// zero-padded to the 20 digits of `u64::MAX`, so that string order is creation order.
pub(crate) fn position(seq: u64) -> String {
    format!("{seq:020}")
}

/// The newest sequence number a page after the cursor `after` may hold: `None` when no
/// cursor was given, `Some(None)` when nothing sorts before the cursor.
///
/// Positions ([`position`]) sort as the numbers they spell, so the sequence numbers before a
/// cursor are all those up to one bound, found by bisection in 64 steps whatever the data.
pub(crate) fn newest_after(after: Option<&str>) -> Option<Option<u64>> {
    let after = after?;
    if position(0).as_str() >= after {
        return Some(None);
    }
    // Invariant: position(low) < after, and position(high + 1) >= after or high is u64::MAX.
    let (mut low, mut high) = (0u64, u64::MAX);
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if position(middle).as_str() < after {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Some(Some(low))
}

/// The entries of an ordered index, newest first, after the cursor `after`.
pub(crate) fn newest_first<'i, V>(
    index: Option<&'i BTreeMap<u64, V>>,
    after: Option<&str>,
) -> Box<dyn Iterator<Item = (u64, &'i V)> + 'i> {
    let Some(index) = index else {
        return Box::new(std::iter::empty());
    };
    match newest_after(after) {
        None => Box::new(index.iter().rev().map(|(seq, v)| (*seq, v))),
        Some(None) => Box::new(std::iter::empty()),
        Some(Some(bound)) => Box::new(index.range(..=bound).rev().map(|(seq, v)| (*seq, v))),
    }
}

/// One page of `limit` items from an iterator newest first (already past the cursor and
/// filtered); the next cursor is the last item's position when more items follow. Reads at
/// most `limit + 1` items.
pub(crate) fn page<T>(
    items: impl Iterator<Item = (u64, T)>,
    limit: usize,
) -> (Vec<T>, bool, Option<String>) {
    let mut page = Vec::with_capacity(limit.min(100));
    let mut has_more = false;
    let mut last = None;
    for (seq, item) in items {
        if page.len() == limit {
            has_more = true;
            break;
        }
        last = Some(seq);
        page.push(item);
    }
    let next = if has_more { last.map(position) } else { None };
    (page, has_more, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bisection agrees with the definition (every seq whose position sorts before the
    /// cursor) on cursors of every kind: next_cursors, prefixes, extensions, non-digits.
    #[test]
    fn the_bound_is_the_newest_position_before_the_cursor() {
        let seqs: Vec<u64> = vec![0, 1, 2, 9, 10, 99, 100, 12345, u64::MAX - 1, u64::MAX];
        let mut cursors: Vec<String> = seqs.iter().map(|s| position(*s)).collect();
        cursors.extend(seqs.iter().map(|s| format!("{}0", position(*s))));
        cursors.extend(seqs.iter().map(|s| position(*s)[..10].to_owned()));
        cursors.extend(
            [
                "",
                "0",
                "1",
                "9",
                "a",
                "zzz",
                " ",
                "c42",
                "00000000000000000001x",
            ]
            .map(str::to_owned),
        );
        for cursor in &cursors {
            let expected = seqs
                .iter()
                .copied()
                .filter(|s| position(*s).as_str() < cursor.as_str())
                .max();
            let bound = newest_after(Some(cursor)).expect("a cursor");
            // The bound may lie between the listed seqs; what matters is which of them it keeps.
            let kept = seqs
                .iter()
                .copied()
                .filter(|s| bound.is_some_and(|b| *s <= b))
                .max();
            assert_eq!(kept, expected, "cursor {cursor:?}");
        }
        assert_eq!(newest_after(None), None);
    }

    #[test]
    fn pages_stop_at_the_limit_and_name_the_next_position() {
        let index: BTreeMap<u64, char> = [(1, 'a'), (2, 'b'), (3, 'c')].into_iter().collect();
        let (first, more, next) = page(newest_first(Some(&index), None).map(|(s, v)| (s, *v)), 2);
        assert_eq!((first, more), (vec!['c', 'b'], true));
        let next = next.expect("a next cursor");
        assert_eq!(next, position(2));
        let (rest, more, after) = page(
            newest_first(Some(&index), Some(&next)).map(|(s, v)| (s, *v)),
            2,
        );
        assert_eq!((rest, more, after), (vec!['a'], false, None));
        let (none, more, _) = page(newest_first::<char>(None, None).map(|(s, v)| (s, *v)), 2);
        assert_eq!((none.len(), more), (0, false));
    }
}
