"""Per-trainee books: seeds derived from the trainee id and a course secret kept on the instructor side."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = ".course-secret"


def load_or_create_secret(course_root: Path) -> bytes:
    """The course secret (created on first use, readable by the instructor only)."""
    path = Path(course_root) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def trainee_seed(secret: bytes, trainee: str, assignment: str, purpose: str = "visible", index: int = 0) -> int:
    """A stable seed for one trainee's book (``purpose`` 'visible' or 'hidden'); unguessable without the secret."""
    message = f"{assignment}\0{trainee}\0{purpose}\0{index}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % (2**31 - 1)


def hidden_seed(
    secret: bytes, trainee: str, assignment: str, run_id: str, n_accounts: int, attempt: int, index: int
) -> int:
    """The seed of one unseen book for one trainee in one grading run; unguessable without the secret."""
    message = f"{assignment}\0{trainee}\0hidden\0{run_id}\0{n_accounts}\0{attempt}\0{index}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % (2**31 - 1)
