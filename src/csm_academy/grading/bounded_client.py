"""Executing a notebook whose kept outputs cannot outgrow the grader: a cap on the notebook's outputs.

A kernel may print or display anything, as often as it likes. Once a notebook's outputs add up to
``MAX_OUTPUT_BYTES``, further outputs are dropped as they arrive, so neither the grader's memory nor the
executed notebook stored in the gradebook grows with them, and the executed notebook says where the cut
happened. Scores never depend on the notebook's outputs: results are taken out of the grader's own
requests before the cap counts anything (``GradingClient``).

One single message is bounded before it is read: the kernel manager sets ZeroMQ's ``MAXMSGSIZE`` on every
channel (``Limits.message_bytes``), so a larger message is refused from its header, before any of it is
held. ZeroMQ then drops that connection for good, and every later output would be lost: the client watches
its channels, and when one is cut while the kernel still runs, it stops the kernel and says so
(``cut_off``), so grading ends there with its own status instead of waiting on outputs that never come.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output

from csm_academy.grading.submission import grade_id
from csm_academy.questions import wire

MAX_OUTPUT_BYTES = 20 * 2**20
DISCONNECT_GRACE_SECONDS = 0.2  # time for a kernel that exited to be seen as gone
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

    def __init__(
        self,
        *args: Any,
        max_output_bytes: int = MAX_OUTPUT_BYTES,
        stop_kernel: Callable[[], None] = lambda: None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self.output_bytes = 0
        self.cut = False
        self.cut_off = False  # a channel to the kernel was cut while it ran (a message over the size cap)
        self._stop_kernel = stop_kernel  # kills the kernel's whole process group (the grader's own)
        self._watch: asyncio.Task | None = None
        self._watched: list = []  # the channel sockets whose disconnections are watched

    async def async_start_new_kernel_client(self) -> Any:
        """Connect to the kernel, then watch its channels for a connection cut by the message size cap."""
        kc = await super().async_start_new_kernel_client()
        self._watched = [kc.shell_channel.socket, kc.iopub_channel.socket]
        monitors = [socket.get_monitor_socket(zmq.EVENT_DISCONNECTED) for socket in self._watched]
        self._watch = asyncio.ensure_future(self._watch_channels(monitors))
        return kc

    async def _watch_channels(self, monitors: list) -> None:
        waits = [asyncio.ensure_future(monitor.recv_multipart()) for monitor in monitors]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            # A kernel that exits closes its channels too; only a kernel still running had one cut.
            await asyncio.sleep(DISCONNECT_GRACE_SECONDS)
            if self.km is not None and await self.km.is_alive():
                self.cut_off = True
                self._stop_kernel()
        finally:
            for wait in waits:
                wait.cancel()

    async def async_execute(self, *args: Any, **kwargs: Any) -> NotebookNode:
        """Execute the notebook; the channel watch ends with it."""
        try:
            return await super().async_execute(*args, **kwargs)
        finally:
            if self._watch is not None:
                self._watch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._watch
            for socket in self._watched:
                with contextlib.suppress(zmq.ZMQError):
                    socket.disable_monitor()
            # nbclient leaves the channels of a kernel it did not start open: closed here, with the client's
            # own ZeroMQ context, or every submission would leave threads and sockets behind in the worker.
            if self.kc is not None:
                self.kc.stop_channels()

    # nbclient binds execute to its own async_execute: bound again here, so the lines above run.
    execute = run_sync(async_execute)

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


@dataclass(frozen=True)
class Ask:
    """One hidden case the grader asks the kernel to answer, right after the question's test cell."""

    qid: str
    label: str
    answer: str  # the notebook name of the trainee's function or value
    kind: str  # "function" or "value"
    case: Callable[[], bytes]  # the case's observable inputs, pickled by the grader when it asks


class GradingClient(BoundedNotebookClient):
    """Runs a submission and, after each hidden test cell, asks for that question's answer case by case.

    Each case's inputs are written into the sandbox only when it is asked for, and its answer is read
    from that request's own outputs under a nonce drawn for the request, so nothing the kernel wrote
    before (a hook, a planted file, a replaced harness) can answer it. The requests run through nbclient's
    own cell execution, so the cell time limit, a dead kernel and the output cap hold for them as well;
    they are never added to the executed notebook.
    """

    def __init__(
        self,
        *args: Any,
        asks: Mapping[int, Sequence[Ask]],
        grading_fd: int | None,
        grading_dir: Path,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.asks = asks
        # The grading folder, opened before the kernel started: the kernel may since have swapped it, or a
        # name in it, for a link elsewhere; writes through this descriptor, to a new name with O_EXCL and
        # O_NOFOLLOW, cannot be steered outside it, even when the grader is root. None where the machine has
        # no dir_fd (Windows, see portable.py): there the kernel is unsandboxed, its cases written by path.
        self.grading_fd = grading_fd
        self.grading_dir = grading_dir
        self.results: dict[tuple[str, str], dict] = {}
        self.task = ""  # the grade id of the cell running now, or the question whose cases are being asked
        # Tasks that ran past the cell limit and were interrupted, in order: the grade id of a cell, "cell N"
        # for an ungraded one, or a question id for its hidden cases. The rest of the notebook went on.
        self.overran: list[str] = []
        self._interrupted = False
        self._nonce: str | None = None
        self._caught: dict | None = None

    async def async_execute_cell(
        self, cell: NotebookNode, cell_index: int, execution_count: int | None = None, store_history: bool = True
    ) -> NotebookNode:
        """Execute one notebook cell, then ask for the answers on the hidden cases it tests."""
        self.task = grade_id(cell) or f"cell {cell_index + 1}"
        executed = await self._run(cell, cell_index, execution_count, store_history)
        for ask in self.asks.get(cell_index, ()):
            if ask.qid in self.lost:
                break  # its answer cell, its check or an earlier case ran too long: the task is lost
            self.task = ask.qid
            self.results[(ask.qid, ask.label)] = await self._ask(ask, cell_index)
        return executed

    @property
    def lost(self) -> set[str]:
        """The questions (and ungraded cells) that ran past the cell limit in any of their parts."""
        return {task.removesuffix("-answer") for task in self.overran}

    async def _run(self, cell: NotebookNode, cell_index: int, *args: Any, **kwargs: Any) -> NotebookNode:
        self._interrupted = False
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None) -> None:
        """A task past the cell limit is interrupted and the notebook goes on; a kernel that ignores it stops."""
        if self._interrupted:  # still no reply a whole cell limit after the interrupt
            raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", timeout, cell)
        self._interrupted = True
        self.overran.append(self.task)
        assert self.km is not None
        await self.km.interrupt_kernel()

    async def _ask(self, ask: Ask, cell_index: int) -> dict | None:
        nonce = secrets.token_hex(16)
        case_file = wire.CASE_FILE.format(nonce=nonce)
        self._write_case(case_file, ask.case())
        request = new_code_cell(wire.request_code(ask.answer, ask.kind, nonce))
        kept = self.nb.cells[cell_index]  # nbclient stores the cell it ran at its index: put the real one back
        self._nonce, self._caught = nonce, None
        try:
            await self._run(request, cell_index, store_history=False)
        finally:
            self.nb.cells[cell_index] = kept
            self._nonce = None
            with contextlib.suppress(OSError):
                if self.grading_fd is None:
                    (self.grading_dir / case_file).unlink()
                else:
                    os.unlink(case_file, dir_fd=self.grading_fd)
        return self._caught

    def _write_case(self, name: str, data: bytes) -> None:
        """Write one case's file, new, into the grading folder: through its descriptor where there is one."""
        if self.grading_fd is None:
            with (self.grading_dir / name).open("xb") as fh:
                fh.write(data)
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(name, flags, 0o644, dir_fd=self.grading_fd), "wb") as fh:
            fh.write(data)

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None, cell_index: int
    ) -> NotebookNode | None:
        """Take the asked-for result out of a request's outputs; every other output goes on as usual."""
        if self._nonce is not None and self._caught is None:
            record = wire.result_record([msg.get("content", {})], self._nonce)
            if record is not None:
                self._caught = record
                return None
        return super().output(outs, msg, display_id, cell_index)
