"""CSM Academy: synthetic books of SaaS accounts and the reference calculations a CSM learns."""

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.book.io import load_book, write_book

__all__ = ["Book", "generate_book", "load_book", "write_book"]
__version__ = "0.1.0"
