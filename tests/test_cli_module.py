"""`python -m csm_academy` is the `csm-academy` command: same usage, same one-line errors, same exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m csm_academy ARGS`` with this interpreter, as a user would from a shell."""
    return subprocess.run(
        [sys.executable, "-m", "csm_academy", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_help_prints_the_csm_academy_commands_usage_and_exits_0(tmp_path: Path):
    run = _run_module("--help", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: csm-academy ")
    for command in ("open", "book", "samples"):
        assert command in run.stdout
    assert run.stderr == ""
    script = subprocess.run(
        [str(Path(sys.executable).parent / "csm-academy"), "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.stdout == script.stdout  # the same parser as the console script


def test_a_command_that_cannot_run_exits_2_with_one_line_and_no_traceback(tmp_path: Path):
    run = _run_module("book", "--seed", "7", "--out", "my-book", "--mix", "SMB", cwd=tmp_path)
    assert run.returncode == 2
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("csm-academy: error: --mix wants SEGMENT=SHARE pairs"), lines
    assert run.stdout == ""
    assert not (tmp_path / "my-book").exists()


def test_an_unknown_command_exits_2_naming_it_without_a_traceback(tmp_path: Path):
    run = _run_module("no-such-command", cwd=tmp_path)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    last = run.stderr.splitlines()[-1]
    assert last.startswith("csm-academy: error:") and "no-such-command" in last
