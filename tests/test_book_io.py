"""Writing and loading books, samples that regenerate identically, and the CLI's one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import csm_academy as ca
from csm_academy.book.samples import SAMPLES, stale_samples
from csm_academy.errors import BookFileError


def test_written_book_loads_back_equal(tmp_path):
    book = ca.generate_book(11, 120)
    ca.write_book(book, tmp_path / "b")
    back = ca.load_book(tmp_path / "b", with_truth=True)
    for name, frame in book.tables().items():
        pd.testing.assert_frame_equal(frame, back.tables()[name], check_categorical=False)


def test_loading_without_truth_gives_the_observable_part(tmp_path):
    ca.write_book(ca.generate_book(11, 50), tmp_path / "b")
    assert ca.load_book(tmp_path / "b").truth is None


def test_samples_load_by_name():
    for name, (seed, n) in SAMPLES.items():
        book = ca.load_book(name, with_truth=True)
        assert book.seed == seed and len(book.accounts) == n


def test_committed_samples_regenerate_identically():
    assert stale_samples() == []


def test_missing_book_names_the_samples():
    with pytest.raises(BookFileError, match="no book folder or sample named 'nope'.*starter-500"):
        ca.load_book("nope")


def test_missing_table_names_the_file(tmp_path):
    ca.write_book(ca.generate_book(1, 20), tmp_path / "b")
    (tmp_path / "b" / "usage.csv").unlink()
    with pytest.raises(BookFileError, match=r"usage\.csv: file is missing"):
        ca.load_book(tmp_path / "b")


def test_malformed_column_names_file_and_column(tmp_path):
    ca.write_book(ca.generate_book(1, 20), tmp_path / "b")
    path = tmp_path / "b" / "accounts.csv"
    frame = pd.read_csv(path)
    frame["arr_start"] = frame["arr_start"].astype(str)
    frame.loc[3, "arr_start"] = "lots"
    frame.to_csv(path, index=False)
    with pytest.raises(BookFileError, match=r"accounts\.csv: column 'arr_start' is not valid int"):
        ca.load_book(tmp_path / "b")


def test_dropped_column_is_reported(tmp_path):
    ca.write_book(ca.generate_book(1, 20), tmp_path / "b")
    path = tmp_path / "b" / "renewals.csv"
    pd.read_csv(path).drop(columns=["outcome"]).to_csv(path, index=False)
    with pytest.raises(BookFileError, match=r"renewals\.csv: missing column\(s\) outcome"):
        ca.load_book(tmp_path / "b")


def test_garbage_manifest_is_reported(tmp_path):
    ca.write_book(ca.generate_book(1, 20), tmp_path / "b")
    (tmp_path / "b" / "book.json").write_text("{not json")
    with pytest.raises(BookFileError, match=r"book\.json: malformed manifest"):
        ca.load_book(tmp_path / "b")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "csm_academy.cli", *args], capture_output=True, text=True, timeout=60)


def test_cli_writes_a_book(tmp_path):
    run = _cli("book", "--seed", "3", "--accounts", "25", "--out", str(tmp_path / "b"))
    assert run.returncode == 0, run.stderr
    assert len(ca.load_book(tmp_path / "b").accounts) == 25
    assert not (tmp_path / "b" / "truth.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "1", "--accounts", "0"], "n_accounts must be at least 1"),
        (["--seed", "1", "--accounts", "5", "--mix", "SMB=0.5,Mid-Market=0.2"], "must sum to 1"),
        (["--seed", "1", "--accounts", "5", "--mix", "Startup=1"], "unknown segment 'Startup'"),
        (["--seed", "1", "--accounts", "5", "--mix", "SMB"], "SEGMENT=SHARE"),
    ],
)
def test_cli_rejects_nonsense_in_one_line(tmp_path, args, message):
    run = _cli("book", *args, "--out", str(tmp_path / "b"))
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_cli_refuses_an_empty_folder_name_or_a_folder_that_holds_files(tmp_path):
    run = _cli("book", "--seed", "1", "--accounts", "5", "--out", "")
    assert run.returncode == 2 and run.stderr.strip() == "csm-academy: error: no folder named to write the book into"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my own file")
    run = _cli("book", "--seed", "1", "--accounts", "5", "--out", str(mine))
    assert run.returncode == 2 and "is not empty" in run.stderr and "--force" in run.stderr
    assert "Traceback" not in run.stderr and sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    run = _cli("book", "--seed", "1", "--accounts", "5", "--out", str(mine), "--force")
    assert run.returncode == 0 and len(ca.load_book(mine).accounts) == 5
    assert (mine / "notes.txt").read_text() == "my own file"


def test_cli_reports_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = _cli("book", "--seed", "1", "--out", str(blocker / "sub"))
    assert run.returncode == 2 and "cannot write a book to" in run.stderr
    assert "Traceback" not in run.stderr


def test_cli_rejects_a_seed_that_is_not_a_number(tmp_path):
    run = _cli("book", "--seed", "abc", "--out", str(tmp_path / "b"))
    assert run.returncode == 2 and "invalid int value: 'abc'" in run.stderr
