"""The one command, ``csm-academy``: open the course, write books, and (for instructors) grade."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from csm_academy.errors import CsmAcademyError


@dataclass(frozen=True)
class Extra:
    """An optional part of the install: its pip extra and the top-level modules it brings."""

    name: str
    modules: tuple[str, ...]

    def missing(self) -> list[str]:
        """The extra's modules this environment lacks."""
        return [m for m in self.modules if importlib.util.find_spec(m) is None]

    def needed_by(self, what: str, missing: Sequence[str]) -> str:
        """One line saying what lacks which modules, and the install command that brings them."""
        return f"{what} needs {', '.join(missing)}, not installed here: pip install 'csm-academy[{self.name}]'"


INSTRUCTOR = Extra("instructor", ("dask", "distributed", "rich"))
POSTGRES = Extra("postgres", ("psycopg2",))
#: Verbs that cannot run without an extra: checked before they do anything.
VERB_NEEDS: dict[str, Extra] = {"grade": INSTRUCTOR}


def _extras_needed(args: argparse.Namespace) -> list[Extra]:
    """The extras this run needs: its verb's, and the PostgreSQL driver for a gradebook named as one."""
    from csm_academy.grading.cli import DB_URL_ENV

    needed = [VERB_NEEDS[args.command]] if args.command in VERB_NEEDS else []
    if hasattr(args, "db_url"):  # the verbs that open a gradebook
        url = args.db_url or os.environ.get(DB_URL_ENV) or ""
        if url.partition("://")[0].partition("+")[0] in ("postgresql", "postgres"):
            needed.append(POSTGRES)
    return needed


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


def _cmd_editions(args: argparse.Namespace) -> int:
    from csm_academy.workspace.editions import stale_editions, write_editions

    if args.check:
        stale = stale_editions()
        if stale:
            raise CsmAcademyError(
                "exercises/student/ is out of date: " + "; ".join(stale) + " (run: csm-academy editions)"
            )
        print("exercises/student/ matches what nbgrader's generate_assignment makes of exercises/source/")
        return 0
    for path in write_editions():
        print(f"wrote {path}")
    return 0


def _cmd_open(args: argparse.Namespace) -> int:
    from csm_academy.workspace.lab import lab_command, lab_environment
    from csm_academy.workspace.sync import default_workspace, sync_workspace

    folder = Path(args.workspace).expanduser() if args.workspace else default_workspace()
    personal = Path(args.personal_release) if args.personal_release else None
    report = sync_workspace(folder, trainee=args.trainee, personal_release=personal)
    print("\n".join(report.lines()), flush=True)  # flushed: exec replaces this process and its buffers
    cmd = lab_command(report.workspace, open_browser=not args.no_browser, jupyter_args=args.jupyter_args)
    # From inside the workspace: Jupyter and nbgrader read config and course folders from where they start.
    os.chdir(report.workspace)
    os.execvpe(cmd[0], cmd, lab_environment())
    return 0  # not reached


def _trainee_id(text: str) -> str:
    """An argparse type: a trainee id by the course's one rule (the grader's)."""
    from csm_academy.grading.cli import _valid_trainee_id

    if not _valid_trainee_id(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a trainee id (letters, digits, '-', '_' and '.' only)")
    return text


def _add_open_command(sub) -> None:
    """Add ``open``: the trainee's workspace in JupyterLab."""
    p = sub.add_parser(
        "open",
        help="open the course in JupyterLab, in your own workspace",
        description=(
            "Open the course in JupyterLab, in your workspace: the teaching notebooks (course/) and your graded "
            "exercises (exercises/<assignment>/). The first run makes it; later runs bring newer course files "
            "and never overwrite your work (a newer version of a file you changed arrives beside it as "
            "NAME.new.ipynb). Any other option goes to JupyterLab, e.g. --port 8979."
        ),
        allow_abbrev=False,  # every option we do not know is JupyterLab's, even one that starts like ours
    )
    p.add_argument(
        "--workspace",
        metavar="DIR",
        help="your workspace folder (default: the current folder, or the nearest one above it, if it is a "
        "workspace; else ~/csm-academy)",
    )
    p.add_argument("--trainee", type=_trainee_id, metavar="ID", help="your trainee id, recorded in the workspace")
    p.add_argument(
        "--personal-release",
        metavar="DIR",
        help="the personalised release your instructor gave you (release-personal/ID/): your own books' seeds "
        "are kept beside your exercises; needs --trainee",
    )
    p.add_argument("--no-browser", action="store_true", help="print the address instead of opening a browser")
    p.set_defaults(func=_cmd_open, jupyter_args=[])


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and exit status 2), pointing at --help for the usage."""

    def error(self, message: str):
        """Print ``message`` as one line and exit with status 2 (argparse's own hook)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``csm-academy``."""
    parser = OneLineParser(prog="csm-academy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    # Trainee verbs: open here, submit and progress from selfstudy (add_trainee_commands, below).
    _add_open_command(sub)

    # Contributor verbs.
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

    p_editions = sub.add_parser(
        "editions", help="make the student editions in exercises/student/ again with nbgrader (contributors)"
    )
    p_editions.add_argument("--check", action="store_true", help="only report editions that are out of date")
    p_editions.set_defaults(func=_cmd_editions)

    # Instructor verbs (course init, release, grade, report), then the trainee's own (submit, progress).
    from csm_academy.grading.cli import add_instructor_commands
    from csm_academy.selfstudy.cli import add_trainee_commands

    add_instructor_commands(sub)
    add_trainee_commands(sub)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``csm-academy``; errors the user can fix print as one line and exit with status 2."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        if args.command != "open":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.jupyter_args = extra  # in the order given: --port 8979 and --port=8979 alike
    try:
        for extra in _extras_needed(args):
            if extra.missing():
                raise CsmAcademyError(extra.needed_by(args.command, extra.missing()))
        return int(args.func(args) or 0)
    except CsmAcademyError as exc:
        print(f"csm-academy: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        # An extra's module reached only on some paths (a PostgreSQL gradebook, say): one line, not a traceback.
        top = (exc.name or "").partition(".")[0]
        owner = next((e for e in (INSTRUCTOR, POSTGRES) if top in e.modules), None)
        if owner is None:
            raise
        print(f"csm-academy: error: {owner.needed_by(args.command, [top])}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("csm-academy: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
