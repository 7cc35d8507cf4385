"""Writing books to CSV and the one loader, ``load_book``, for generated books and named samples."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from csm_academy.book.book import OBSERVABLE_TABLES, Book
from csm_academy.book.schema import TABLES_BY_NAME
from csm_academy.content import datasets_dir
from csm_academy.errors import BookFileError

MANIFEST = "book.json"
_DATE_FORMAT = "%Y-%m-%d"


def write_book(book: Book, folder: str | os.PathLike[str], *, replace: bool = False) -> Path:
    """Write every table of ``book`` as CSV into ``folder``, with a small manifest.

    A folder that already holds files is refused unless ``replace``: a book never lands, unasked, among
    someone's own files (or in the current folder, for an empty name).
    """
    if not str(folder).strip():
        raise BookFileError("no folder named to write the book into")
    out = Path(folder)
    if out.is_dir() and any(out.iterdir()) and not replace:
        raise BookFileError(f"{out} is not empty: name a new or empty folder, or pass --force to write over it")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BookFileError(f"cannot write a book to {out}: {exc.strerror or exc}") from None
    tables = book.tables()
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False, date_format=_DATE_FORMAT, lineterminator="\n")
    manifest = {
        "seed": book.seed,
        "accounts": len(book.accounts),
        "tables": list(tables),
        "generator": "csm_academy.generate_book",
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def _read_table(path: Path, name: str) -> pd.DataFrame:
    table = TABLES_BY_NAME[name]
    try:
        frame = pd.read_csv(path, keep_default_na=True)
    except FileNotFoundError:
        raise BookFileError(f"{path}: file is missing (every book needs {name}.csv)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BookFileError(f"{path}: not a readable CSV file ({exc})") from None
    missing = [c for c in table.column_names if c not in frame.columns]
    if missing:
        raise BookFileError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = frame[table.column_names]
    for col in table.columns:
        series = frame[col.name]
        try:
            if col.kind == "int":
                if series.isna().any():
                    raise ValueError("has empty cells")
                frame[col.name] = pd.to_numeric(series, errors="raise").astype("int64")
            elif col.kind == "float":
                frame[col.name] = pd.to_numeric(series, errors="raise").astype("float64")
            elif col.kind == "bool":
                if series.dtype != bool:
                    mapped = series.map({"True": True, "False": False, True: True, False: False})
                    if mapped.isna().any():
                        raise ValueError("holds values other than True/False")
                    series = mapped
                frame[col.name] = series.astype(bool)
            elif col.kind == "date":
                frame[col.name] = pd.to_datetime(series, format=_DATE_FORMAT).astype("datetime64[s]")
            else:
                frame[col.name] = series.astype("category")
        except (ValueError, TypeError) as exc:
            raise BookFileError(f"{path}: column {col.name!r} is not valid {col.kind} ({exc})") from None
    return frame


def load_book(source: str | os.PathLike[str], *, with_truth: bool = False) -> Book:
    """Load a book from a folder written by ``write_book``, or a committed sample by name."""
    path = Path(source)
    if not path.exists():
        sample = datasets_dir() / str(source)
        if sample.is_dir():
            path = sample
        else:
            names = sorted(p.name for p in datasets_dir().glob("*/") if (p / MANIFEST).exists())
            known = f"; samples are: {', '.join(names)}" if names else ""
            raise BookFileError(f"no book folder or sample named {str(source)!r}{known}")
    if not path.is_dir():
        raise BookFileError(f"{path}: a book is a folder of CSV files, not a single file")
    manifest_path = path / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
        seed = int(manifest["seed"])
    except FileNotFoundError:
        raise BookFileError(f"{manifest_path}: file is missing (not a book folder?)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise BookFileError(f"{manifest_path}: malformed manifest ({exc})") from None
    frames = {name: _read_table(path / f"{name}.csv", name) for name in OBSERVABLE_TABLES}
    truth = _read_table(path / "truth.csv", "truth") if with_truth else None
    return Book(seed=seed, truth=truth, **frames)
