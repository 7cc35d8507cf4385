"""The wire between kernel and judge: results survive the trip as data, and nothing hostile survives as code."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from csm_academy.questions import wire


def _trip(value):
    """Encode as the kernel does, through JSON text, and decode as the judge does."""
    return wire.decode(json.loads(json.dumps(wire.encode(value), allow_nan=False)))


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -7, 3.25, "NRR", {"SMB": 1.0, "Enterprise": 0.5}, [1, 2.5, "x"], (0.9, 1.1), []],
    ids=repr,
)
def test_plain_values_come_back_equal_and_of_the_same_type(value):
    back = _trip(value)
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(np.float64(1.5), 1.5), (np.int64(3), 3), (np.bool_(True), True), (np.str_("a"), "a")],
    ids=repr,
)
def test_numpy_scalars_come_back_as_python_scalars(value, expected):
    back = _trip(value)
    assert back == expected and type(back) is type(expected)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=repr)
def test_non_finite_numbers_cross_as_text_and_come_back_as_floats(value):
    encoded = wire.encode(value)
    json.dumps(encoded, allow_nan=False)  # the results file is strict JSON
    back = wire.decode(encoded)
    assert isinstance(back, float) and (math.isnan(back) if math.isnan(value) else back == value)


def test_a_data_frame_keeps_its_columns_index_and_values():
    frame = pd.DataFrame({"nrr": [1.05, 0.92], "accounts": [12, 30]}, index=["SMB", "Enterprise"])
    back = _trip(frame)
    assert list(back.columns) == ["nrr", "accounts"] and list(back.index) == ["SMB", "Enterprise"]
    assert back["nrr"].tolist() == [1.05, 0.92] and back["accounts"].tolist() == [12, 30]


def test_a_series_comes_back_as_a_series_with_its_labels():
    back = _trip(pd.Series({"SMB": 0.8, "Mid-Market": 0.95}))
    assert isinstance(back, pd.Series) and back.to_dict() == {"SMB": 0.8, "Mid-Market": 0.95}


def test_a_numpy_array_comes_back_as_a_list():
    assert _trip(np.array([1.0, 2.0])) == [1.0, 2.0]


def test_an_object_that_claims_to_equal_everything_crosses_as_its_type_name_only():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    back = _trip(AlwaysEqual())
    assert isinstance(back, wire.Opaque) and back.type_name == "AlwaysEqual"
    assert back != 1.0  # the judge compares against a plain stand-in, never the trainee's object


def test_a_number_subclass_crosses_as_its_plain_value():
    class Sly(float):
        def __eq__(self, other):
            return True

        __hash__ = float.__hash__

    back = _trip(Sly(0.5))
    assert type(back) is float and back == 0.5 and back != 0.7


def test_a_dict_subclass_is_not_trusted_as_data():
    class Sly(dict):
        pass

    back = _trip(Sly(a=1))
    assert isinstance(back, wire.Opaque) and back.type_name == "Sly"


def test_nesting_deeper_than_the_limit_is_cut_off():
    deep = [[[[[[1.0]]]]]]
    back = _trip(deep)
    assert isinstance(back[0][0][0][0][0], wire.Opaque) and back[0][0][0][0][0].type_name == "nested too deep"


def test_oversized_results_cross_as_a_description_only():
    big = pd.DataFrame(np.zeros((wire.MAX_CELLS + 1, 1)))
    assert wire.encode(big) == {"t": "other", "type": f"DataFrame of {wire.MAX_CELLS + 1} cells"}
    assert wire.encode(list(range(wire.MAX_CELLS + 1)))["t"] == "other"
    assert len(wire.encode("x" * 50_000)["v"]) == 10_000


@pytest.mark.parametrize(
    ("data", "type_name"),
    [
        ("not an object", "malformed result"),
        (["t", "num"], "malformed result"),
        ({"t": "num", "v": True}, "malformed number"),
        ({"t": "num", "v": "1e999"}, "malformed number"),
        ({"t": "num", "v": None}, "malformed number"),
        ({"t": "code", "v": "__import__('os')"}, "unknown"),
        ({"t": "other", "type": "Answer"}, "Answer"),
        ({"t": "list", "v": 5}, "malformed result"),
        ({"t": "map", "v": [1, 2, 3]}, "malformed result"),
        ({"t": "frame", "data": [[{"t": "num", "v": 1}]], "columns": ["a", "b"]}, "malformed result"),
        ({"t": "frame", "data": 7}, "malformed result"),
    ],
    ids=repr,
)
def test_malformed_results_from_the_kernel_decode_to_stand_ins(data, type_name):
    back = wire.decode(data)
    assert isinstance(back, wire.Opaque) and back.type_name == type_name


def test_a_result_counts_only_under_the_nonce_of_the_request_that_asked_for_it():
    mine = {"nonce": "n-2", "status": "ok", "detail": "", "result": {"t": "num", "v": 2}}
    outputs = [
        {"output_type": "stream", "text": "noise"},
        {"data": {wire.RESULT_MIME: {"nonce": "n-1", "status": "ok", "result": {"t": "num", "v": 1}}}},  # earlier
        {"data": {"text/plain": "1.0"}},
        {"data": {wire.RESULT_MIME: mine}},
        {"data": {wire.RESULT_MIME: {**mine, "result": {"t": "num", "v": 3}}}},  # a second answer: the first wins
    ]
    assert wire.result_record(outputs, "n-2") == {"status": "ok", "detail": "", "result": {"t": "num", "v": 2}}
    assert wire.result_record(outputs, "n-3") is None


@pytest.mark.parametrize(
    "output",
    [[1, 2], {"data": "text"}, {"data": {wire.RESULT_MIME: "n-1"}}, {"data": {wire.RESULT_MIME: ["n-1"]}}, None],
)
def test_malformed_result_outputs_are_no_result_and_never_raise(output):
    assert wire.result_record([output], "n-1") is None


def test_a_results_status_and_detail_are_plain_short_strings():
    record = wire.result_record([{"data": {wire.RESULT_MIME: {"nonce": "n", "status": 7, "detail": "x" * 999}}}], "n")
    assert record == {"status": "7", "detail": "x" * 300, "result": None}


def test_the_request_asks_the_harness_for_one_named_answer():
    code = wire.request_code("nrr", "function", "abc123")
    harness = "__import__('importlib').import_module('csm_academy.questions.harness')"
    assert code == harness + ".answer_case('nrr', 'function', 'abc123')"
