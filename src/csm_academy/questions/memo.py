"""One cache with one eviction rule: a value computed from an object lives exactly as long as that object.

Lessons build the same views of a book several times in one check (inputs, reference, each
misconception), and the grader judges many submissions on the same hidden books. Keying on the
object itself (through a weak reference) means nothing is ever served for a different book whose id
happens to be reused, nothing keeps a book alive, and no size limit has to be tuned.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from csm_academy.book.book import Book

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


# A book's views (the tables a question hands over, its observable copy) are pure functions of the book,
# and a check builds the same ones for the reference, every known mistake and the trainee's answer.
_VIEWS = Memo()


def observed(book: Book) -> Book:
    """``book.observable()``, built once per book; callers must not change its tables."""
    return _VIEWS.get(book, "observable", book.observable)


def view_of(book: Book, key: Hashable, build: Callable[[Book], T]) -> T:
    """``build`` of what a CSM sees in ``book``, built once per book and shared; callers must not change it.

    Built from the book's observable copy, so a view asked for on the book with its truth and on its
    observable copy (the reference and the trainee's answer, say) is one build.
    """
    seen = observed(book) if book.has_truth else book
    return _VIEWS.get(seen, key, lambda: build(seen))


def shared_view(inputs: Callable[[Book], tuple], book: Book) -> tuple:
    """``inputs(book)``, built once per book and shared; callers must not change it (the grader pickles it)."""
    return view_of(book, inputs, lambda seen: tuple(inputs(seen)))


def handed(inputs: Callable[[Book], tuple], book: Book) -> tuple:
    """``inputs(book)``, built once per book; each caller gets its own copies, so no caller sees another's changes."""
    return tuple(_own_copy(part) for part in shared_view(inputs, book))


def _own_copy(value: Any) -> Any:
    copy_method = getattr(value, "copy", None)
    # pandas frames and series and numpy arrays copy their data with .copy(); anything else is deep-copied.
    if copy_method is not None and type(value).__module__.split(".")[0] in ("pandas", "numpy"):
        return copy_method()
    return copy.deepcopy(value)
