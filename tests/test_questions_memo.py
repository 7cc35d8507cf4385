"""The one cache: a value lives exactly as long as the object it was computed from."""

from __future__ import annotations

import gc

import pandas as pd

from csm_academy.questions.memo import Memo


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
