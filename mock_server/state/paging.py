"""Paging over several ascending id lists without materialising their union.

A dashboard page is "the ids at positions offset..offset+limit in descending order" across
the (type, status) buckets a query selects. Binary search on the id value finds where the page
starts in O(k log n log range) for k lists, so page 1 and page 60 000 cost about the same; pages
near the top are cut straight from the lists' tails in O(k * (offset + limit)).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

__all__ = ["page_from_sorted_lists"]

#: pages ending within this many ids of the top are cut from the lists' tails, not searched for
_NEAR_TOP = 600


def page_from_sorted_lists(lists: Sequence[Sequence[int]], offset: int, limit: int) -> tuple[list[int], int]:
    """Ids ``offset .. offset+limit`` of the descending union of ascending ``lists``, and the total."""
    lists = [lst for lst in lists if lst]
    total = sum(len(lst) for lst in lists)
    if offset >= total or limit <= 0:
        return [], total
    if len(lists) == 1:
        only = lists[0]
        end = len(only) - offset
        return list(reversed(only[max(0, end - limit): end])), total
    reach = offset + limit
    if reach <= _NEAR_TOP:
        # Near the top (page 1 of a dashboard, the common read): the page is among the last
        # ``reach`` ids of every list, so merge those tails: O(k * reach), whatever the sizes.
        tails: list[int] = []
        for lst in lists:
            tails.extend(lst[-reach:])
        tails.sort(reverse=True)
        return tails[offset:reach], total
    # Largest id x such that at least offset+1 ids are >= x: the first id of the page.
    lo = min(lst[0] for lst in lists)
    hi = max(lst[-1] for lst in lists)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(len(lst) - bisect_left(lst, mid) for lst in lists) >= offset + 1:
            lo = mid
        else:
            hi = mid - 1
    start = lo
    picked: list[int] = []
    for lst in lists:
        end = bisect_right(lst, start)
        picked.extend(lst[max(0, end - limit): end])
    picked.sort(reverse=True)
    return picked[:limit], total
