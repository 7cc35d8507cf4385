"""One cache with one eviction rule: a value computed from an object lives exactly as long as that object.

Lessons build the same views of a book several times in one check (inputs, reference, each
misconception), and the grader judges many submissions on the same hidden books. Keying on the
object itself (through a weak reference) means nothing is ever served for a different book whose id
happens to be reused, nothing keeps a book alive, and no size limit has to be tuned.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """Values computed from an owner object, dropped when the owner is garbage-collected."""

    def __init__(self) -> None:
        self._entries: dict[int, dict[Hashable, Any]] = {}
        self._lock = threading.Lock()

    def get(self, owner: object, key: Hashable, build: Callable[[], T]) -> T:
        """The value ``build()`` gave for ``(owner, key)``, computed once while ``owner`` lives."""
        ident = id(owner)
        with self._lock:
            entry = self._entries.get(ident)
            if entry is not None and key in entry:
                return entry[key]
        value = build()
        with self._lock:
            entry = self._entries.get(ident)
            if entry is None:
                entry = self._entries[ident] = {}
                # The id cannot be reused before this runs: the entry goes when the owner does.
                weakref.finalize(owner, self._entries.pop, ident, None)
            return entry.setdefault(key, value)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget everything (the owners stay as they are)."""
        with self._lock:
            self._entries.clear()
