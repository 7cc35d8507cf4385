"""The one command, ``csm-academy``: open the course, write books, and (for instructors) grade."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from csm_academy.errors import CsmAcademyError

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env_with_own_bin() -> dict[str, str]:
    # Jupyter and nbgrader call their helper scripts (alembic, jupyter-*) from PATH: put ours first,
    # so the command works without activating a virtual environment.
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _parse_mix(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, sep, share = part.partition("=")
        if not sep:
            raise CsmAcademyError(f"--mix wants SEGMENT=SHARE pairs separated by commas, got {part!r}")
        try:
            mix[name.strip()] = float(share)
        except ValueError:
            raise CsmAcademyError(f"--mix share for {name.strip()!r} is not a number: {share!r}") from None
    return mix


def _cmd_book(args: argparse.Namespace) -> int:
    from csm_academy.book.generate import generate_book
    from csm_academy.book.io import write_book

    book = generate_book(args.seed, args.accounts, segment_mix=_parse_mix(args.mix))
    if not args.with_truth:
        book = book.observable()
    out = write_book(book, args.out, replace=args.force)
    print(f"wrote {book!r} to {out}")
    return 0


def _cmd_samples(args: argparse.Namespace) -> int:
    from csm_academy.book.samples import stale_samples, write_samples

    if args.check:
        stale = stale_samples()
        if stale:
            raise CsmAcademyError("datasets/ is out of date: " + ", ".join(stale) + " (run: csm-academy samples)")
        print("datasets/ matches the generator")
        return 0
    for path in write_samples():
        print(f"wrote {path}")
    return 0


def _cmd_open(args: argparse.Namespace) -> int:
    start = "course/00_start_here.ipynb"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={REPO_ROOT}",
        f"--LabApp.default_url=/lab/tree/{start}",
    ]
    if args.no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    cmd.extend(args.jupyter_args)
    os.execvpe(cmd[0], cmd, _env_with_own_bin())
    return 0  # not reached


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and exit status 2), pointing at --help for the usage."""

    def error(self, message: str):
        """Print ``message`` as one line and exit with status 2 (argparse's own hook)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``csm-academy``."""
    parser = OneLineParser(prog="csm-academy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    p_open = sub.add_parser("open", help="open the course in JupyterLab")
    p_open.add_argument("--no-browser", action="store_true", help="print the address instead of opening a browser")
    p_open.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    p_open.set_defaults(func=_cmd_open)

    p_book = sub.add_parser("book", help="generate a synthetic book of accounts as CSV files")
    p_book.add_argument("--seed", type=int, required=True, help="same seed, same book")
    p_book.add_argument("--accounts", type=int, default=500, help="accounts in the starting book (default 500)")
    p_book.add_argument("--out", required=True, help="folder to write the CSV files into")
    p_book.add_argument("--mix", help="segment mix, e.g. 'SMB=0.6,Mid-Market=0.3,Enterprise=0.1'")
    p_book.add_argument("--force", action="store_true", help="write into a folder that already holds files")
    p_book.add_argument(
        "--with-truth", action="store_true", help="also write truth.csv (instructors and teaching only)"
    )
    p_book.set_defaults(func=_cmd_book)

    p_samples = sub.add_parser("samples", help="regenerate the sample books in datasets/ (contributors)")
    p_samples.add_argument("--check", action="store_true", help="only report files that are out of date")
    p_samples.set_defaults(func=_cmd_samples)

    from csm_academy.grading.cli import add_instructor_commands

    add_instructor_commands(sub)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``csm-academy``; errors the user can fix print as one line and exit with status 2."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        if args.command != "open":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.jupyter_args = [*args.jupyter_args, *extra]  # e.g. --ServerApp.port=8899 for jupyter lab
    try:
        return int(args.func(args) or 0)
    except CsmAcademyError as exc:
        print(f"csm-academy: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("csm-academy: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
