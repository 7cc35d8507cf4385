"""The trainee verbs of ``csm-academy``: submit (grade your own exercise) and progress."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from csm_academy.selfstudy.places import Workspace, find_notebook, find_workspace, trainee_name

# The grader, the lessons and the pages are imported inside the commands: ``csm-academy --help`` and the
# other verbs never pay for them.


def add_trainee_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``submit`` and ``progress`` to the command's subparsers."""
    workspace_help = "your workspace (default: the one holding this folder, else ~/csm-academy, else this folder)"
    p_submit = sub.add_parser("submit", help="grade your own exercise, with the same grader as your instructor's")
    p_submit.add_argument("assignment", help="the exercise to grade, e.g. 01_nrr_math")
    p_submit.add_argument(
        "--notebook", type=Path, help="your notebook (default: exercises/ASSIGNMENT/ASSIGNMENT.ipynb in your workspace)"
    )
    p_submit.add_argument("--workspace", type=Path, help=workspace_help)
    p_submit.add_argument(
        "--trainee",
        help="the name your unseen books are drawn for (default: the workspace's trainee, else your user name)",
    )
    p_submit.add_argument(
        "--no-sandbox", action="store_true", help="run your notebook without the sandbox, even where it works"
    )
    p_submit.set_defaults(func=_cmd_submit)

    p_progress = sub.add_parser("progress", help="your self-graded scores across the modules, and a page of them")
    p_progress.add_argument("--workspace", type=Path, help=workspace_help)
    p_progress.add_argument(
        "--trainee", help="the name shown on the page (default: the workspace's trainee, else your user name)"
    )
    p_progress.set_defaults(func=_cmd_progress)


def _cmd_submit(args: argparse.Namespace) -> int:
    started = time.perf_counter()  # before the grader is imported: that is a good part of the wait
    from csm_academy.grading.reports import feedback_page
    from csm_academy.lessons.registry import lesson_for
    from csm_academy.selfstudy import render
    from csm_academy.selfstudy.progress import record_attempt, write_atomically
    from csm_academy.selfstudy.submit import check_readable, grade_notebook, sandboxing, written_points

    _printable_anywhere()
    lesson_for(args.assignment)  # an unknown assignment is named, with the known ones, before anything else
    workspace = find_workspace(args.workspace, Path.cwd())
    notebook = find_notebook(workspace, args.assignment, args.notebook)
    check_readable(notebook)
    trainee = trainee_name(args.trainee, workspace)
    mode = sandboxing(args.no_sandbox)
    if mode.note:
        print(f"csm-academy: note: {mode.note}", file=sys.stderr)
    print(f"grading {notebook} ...", flush=True)
    record = grade_notebook(
        notebook,
        args.assignment,
        trainee=trainee,
        workspace=workspace.root,
        secret=workspace.secret(),
        sandboxed=mode.sandboxed,
    )
    entry = record_attempt(workspace.progress_file, record)
    page = workspace.feedback_page(args.assignment)
    write_atomically(page, feedback_page(record, args.assignment))
    _write_progress_page(workspace, trainee)
    title = render.assignment_title(args.assignment)
    print("\n".join(render.submit_summary(record, title, entry, written_points(args.assignment))))
    print(f"Feedback page: {page}")
    print(f"Graded in {time.perf_counter() - started:.1f} s.")
    return 0


def _cmd_progress(args: argparse.Namespace) -> int:
    from csm_academy.selfstudy import render
    from csm_academy.selfstudy.progress import read_progress

    _printable_anywhere()
    workspace = find_workspace(args.workspace, Path.cwd())
    print(render.progress_table(render.rows(read_progress(workspace.progress_file))))
    print(f"Progress page: {_write_progress_page(workspace, trainee_name(args.trainee, workspace))}")
    return 0


def _write_progress_page(workspace: Workspace, trainee: str) -> Path:
    """Write the workspace's progress page from its progress file; returns where."""
    from csm_academy.selfstudy import render
    from csm_academy.selfstudy.progress import read_progress, write_atomically

    table = render.rows(read_progress(workspace.progress_file))
    write_atomically(workspace.progress_page, render.progress_page(table, trainee, datetime.now(UTC)))
    return workspace.progress_page


def _printable_anywhere() -> None:
    """Let feedback's marks (✓, ✗) print on any console: one in cp1252 (Windows) shows '?' instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # absent on a replaced stream (a test's capture, say)
        if reconfigure is not None:
            reconfigure(errors="replace")
