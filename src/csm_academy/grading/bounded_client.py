"""Executing a notebook whose kept outputs cannot outgrow the grader: a cap on the notebook's outputs.

A kernel may print or display anything, as often as it likes. Once a notebook's outputs add up to
``MAX_OUTPUT_BYTES``, further outputs are dropped as they arrive, so neither the grader's memory nor the
executed notebook stored in the gradebook grows with them, and the executed notebook says where the cut
happened. Scores never depend on outputs: results travel on their own channel.

Not covered here: one single message is read whole before it can be measured, so its size is bounded only
by the kernel's own memory cap.
"""

from __future__ import annotations

import json
from typing import Any

from nbclient import NotebookClient
from nbformat import NotebookNode
from nbformat.v4 import new_output

MAX_OUTPUT_BYTES = 20 * 2**20
CUT_NOTE = "[csm-academy: outputs cut here: this notebook's outputs passed {limit} MB, the rest is not kept]\n"


def output_size(out: NotebookNode) -> int:
    """Roughly how many bytes an output takes in the executed notebook."""
    if out.get("output_type") == "stream":
        return len(out.get("text", ""))
    size = 0
    for part in (out.get("data", {}), out.get("metadata", {}), out.get("traceback", [])):
        size += len(part) if isinstance(part, str) else len(json.dumps(part, default=str))
    return size


class BoundedNotebookClient(NotebookClient):
    """nbclient's executor with a cap on each message and on the notebook's outputs taken together."""

    def __init__(self, *args: Any, max_output_bytes: int = MAX_OUTPUT_BYTES, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self.output_bytes = 0
        self.cut = False

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None, cell_index: int
    ) -> NotebookNode | None:
        """Keep an output while the notebook is under its cap; past it, one note and nothing more."""
        if self.cut:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return None
        self.output_bytes += output_size(out)
        if self.output_bytes <= self.max_output_bytes:
            return out
        self.cut = True
        note = new_output("stream", name="stderr", text=CUT_NOTE.format(limit=self.max_output_bytes // 2**20))
        if outs and outs[-1] is out:  # the output that crossed the cap is replaced by the note
            outs[-1] = note
        return note
