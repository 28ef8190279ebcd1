"""Paging across sorted id lists equals slicing their descending union, on every path."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mock_server.state import paging
from mock_server.state.paging import page_from_sorted_lists

_LISTS = st.lists(st.lists(st.integers(1, 3000), max_size=400, unique=True).map(sorted), max_size=6)


def _naive(lists: list[list[int]], offset: int, limit: int) -> tuple[list[int], int]:
    union = sorted((i for lst in lists for i in lst), reverse=True)
    return (union[offset:offset + limit] if limit > 0 else []), len(union)


@given(lists=_LISTS, offset=st.integers(0, 1200), limit=st.integers(0, 40))
def test_a_page_is_the_slice_of_the_descending_union(lists: list[list[int]], offset: int, limit: int) -> None:
    # ids are disjoint across lists in the stores (one bucket per invoice); keep them so here
    seen: set[int] = set()
    disjoint = []
    for lst in lists:
        disjoint.append([i for i in lst if i not in seen])
        seen.update(lst)
    assert page_from_sorted_lists(disjoint, offset, limit) == _naive(disjoint, offset, limit)


def test_both_paths_are_taken() -> None:
    lists = [list(range(1, 2000, 2)), list(range(2, 2000, 2))]
    near, far = 10, paging._NEAR_TOP + 10
    assert page_from_sorted_lists(lists, near, 15) == _naive(lists, near, 15)
    assert page_from_sorted_lists(lists, far, 15) == _naive(lists, far, 15)
