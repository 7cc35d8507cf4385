"""The one cache: a value lives exactly as long as the object it was computed from."""

from __future__ import annotations

import gc

import pandas as pd

from csm_academy.book.generate import generate_book
from csm_academy.questions.memo import Memo, handed, observed, shared_view


def test_a_value_is_built_once_per_owner_and_key():
    memo, owner, calls = Memo(), pd.DataFrame({"a": [1]}), []
    for _ in range(3):
        assert memo.get(owner, "view", lambda: calls.append(1) or 42) == 42
    assert calls == [1]
    assert memo.get(owner, "other", lambda: 7) == 7


def test_values_go_when_their_owner_is_garbage_collected():
    memo = Memo()
    owner = pd.DataFrame({"a": [1]})
    memo.get(owner, "view", lambda: "x")
    assert len(memo) == 1
    del owner
    gc.collect()
    assert len(memo) == 0


def test_two_owners_never_share_a_value_even_when_equal():
    memo = Memo()
    first, second = pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]})
    assert memo.get(first, "k", lambda: "first") == "first"
    assert memo.get(second, "k", lambda: "second") == "second"


def _counted_inputs(calls: list):
    def inputs(book):
        calls.append(book.has_truth)
        return (book.accounts[["account_id", "arr_start"]].copy(), {"year": 2025})

    return inputs


def test_a_view_is_built_once_per_book_from_what_a_csm_sees():
    book, calls = generate_book(3, 20), []
    inputs = _counted_inputs(calls)
    first, second = handed(inputs, book), handed(inputs, book)
    assert calls == [False]  # one build, from the observable copy, though the book carries its truth
    pd.testing.assert_frame_equal(first[0], second[0])
    assert shared_view(inputs, book)[0] is shared_view(inputs, book)[0]
    assert observed(book) is observed(book) and not observed(book).has_truth


def test_each_caller_gets_its_own_copy_of_a_handed_view():
    book = generate_book(4, 20)
    inputs = _counted_inputs([])
    frame, extra = handed(inputs, book)
    frame.loc[:, "arr_start"] = 0  # a trainee's function (or a known mistake) changing what it was handed
    extra["year"] = 1999
    again, extra_again = handed(inputs, book)
    assert again["arr_start"].gt(0).all() and extra_again == {"year": 2025}
