"""What crosses the sandbox wall: one case's inputs go in, one plain-JSON result comes out, never code.

After each hidden test cell the grader asks the kernel for the answer on each of that question's hidden
cases, one request per case, in order: it writes that case's observable inputs into the sandbox, runs
``request_code`` in the kernel, and reads the result from that request's own outputs, tagged with a
nonce drawn for that request. Nothing the kernel wrote before the request can answer it, expected values
never enter the kernel, and nothing from the kernel is unpickled or executed by the grader, so patching
the checking machinery inside the kernel cannot raise a score.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ENV_DIR = "CSM_ACADEMY_GRADING_DIR"
CASE_FILE = "case-{nonce}.pkl"  # the one case being asked for, in the grading folder, only while it is asked
RESULT_MIME = "application/vnd.csm-academy.result+json"  # the output that carries one case's result
MAX_CELLS = 20_000  # a result larger than this is not an answer to any course question


class Opaque:
    """Stands in for an answer object the grader will not trust (its type name only)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def grading_dir() -> Path | None:
    """The sandbox's grading folder when running under ``csm-academy grade``, else None."""
    value = os.environ.get(ENV_DIR)
    return Path(value) if value else None


def encode(value: Any, depth: int = 0) -> dict:
    """Plain-JSON form of a result; anything that is not data becomes a type name."""
    if depth > 4:
        return {"t": "other", "type": "nested too deep"}
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool | np.bool_):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, str | np.str_):
        return {"t": "str", "v": str(value)[:10_000]}
    if type(value) in (int, float) or isinstance(value, np.integer | np.floating):
        return _number(value)
    if isinstance(value, Real | Integral) and isinstance(value, int | float):
        return _number(value)  # subclasses of int/float: only their numeric value crosses over
    if isinstance(value, pd.DataFrame):
        if value.size > MAX_CELLS:
            return {"t": "other", "type": f"DataFrame of {value.size} cells"}
        return {
            "t": "frame",
            "columns": [str(c) for c in value.columns],
            "index": [str(i) for i in value.index],
            "data": [[encode(v, depth + 1) for v in row] for row in value.itertuples(index=False, name=None)],
        }
    if isinstance(value, pd.Series):
        if value.size > MAX_CELLS:
            return {"t": "other", "type": f"Series of {value.size} values"}
        return {"t": "map", "v": {str(k): encode(v, depth + 1) for k, v in value.items()}, "series": True}
    if isinstance(value, Mapping) and type(value) is dict:
        if len(value) > MAX_CELLS:
            return {"t": "other", "type": f"dict of {len(value)} items"}
        return {"t": "map", "v": {str(k): encode(v, depth + 1) for k, v in value.items()}}
    if type(value) in (list, tuple, set, frozenset):
        items = list(value)
        if len(items) > MAX_CELLS:
            return {"t": "other", "type": f"{type(value).__name__} of {len(items)} items"}
        return {"t": "list", "kind": type(value).__name__, "v": [encode(v, depth + 1) for v in items]}
    if isinstance(value, np.ndarray) and value.size <= MAX_CELLS:
        return {"t": "list", "kind": "list", "v": [encode(v, depth + 1) for v in value.tolist()]}
    return {"t": "other", "type": type(value).__name__}


def _number(value: Any) -> dict:
    number = float(value) if not isinstance(value, Integral) else int(value)
    if isinstance(number, float) and not math.isfinite(number):
        return {"t": "num", "v": str(number)}
    return {"t": "num", "v": number}


def decode(data: Any) -> Any:
    """Rebuild a result from its JSON form, as plain Python and pandas objects only.

    Whatever the kernel wrote, this never raises: a shape that is not one ``encode`` makes comes back as an
    ``Opaque`` stand-in, which no comparator accepts, so a trainee cannot turn a low score into "no score".
    """
    try:
        return _decode(data)
    except (TypeError, ValueError, AttributeError, RecursionError):
        return Opaque("malformed result")


def _decode(data: Any) -> Any:
    if not isinstance(data, dict):
        return Opaque("malformed result")
    kind = data.get("t")
    if kind == "none":
        return None
    if kind == "bool":
        return bool(data.get("v"))
    if kind == "str":
        return str(data.get("v", ""))
    if kind == "num":
        v = data.get("v")
        if isinstance(v, str):
            return float(v) if v in ("nan", "inf", "-inf") else Opaque("malformed number")
        return v if isinstance(v, int | float) and not isinstance(v, bool) else Opaque("malformed number")
    if kind == "map":
        items = {str(k): _decode(v) for k, v in dict(data.get("v", {})).items()}
        return pd.Series(items, dtype=object) if data.get("series") else items
    if kind == "list":
        items = [_decode(v) for v in list(data.get("v", []))]
        return tuple(items) if data.get("kind") == "tuple" else items
    if kind == "frame":
        rows = [[_decode(v) for v in row] for row in data.get("data", [])]
        frame = pd.DataFrame(rows, columns=list(data.get("columns", [])) or None)
        index = list(data.get("index", []))
        if len(index) == len(frame):
            frame.index = index
        return frame.infer_objects()
    return Opaque(str(data.get("type", "unknown")))


def request_code(answer: str, kind: str, nonce: str) -> str:
    """The code the grader runs in the kernel to ask for one case's answer (see ``questions.harness``)."""
    return (
        "__import__('importlib').import_module('csm_academy.questions.harness')"
        f".answer_case({answer!r}, {kind!r}, {nonce!r})"
    )


def result_record(outputs: list, nonce: str) -> dict | None:
    """Grader side: the result a request's outputs carry for ``nonce`` (the first such), else None.

    Any other output, or a result tagged for another request, is ignored; what comes back is a plain
    dict with a status, a detail line and the encoded result, whatever the kernel sent.
    """
    for out in outputs:
        data = out.get("data") if isinstance(out, Mapping) else None
        record = data.get(RESULT_MIME) if isinstance(data, Mapping) else None
        if isinstance(record, Mapping) and record.get("nonce") == nonce:
            return {
                "status": str(record.get("status", "")),
                "detail": str(record.get("detail", ""))[:300],
                "result": record.get("result"),
            }
    return None
