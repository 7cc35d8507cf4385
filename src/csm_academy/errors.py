"""The errors the course raises on purpose, each with a message a person can act on."""


class CsmAcademyError(Exception):
    """Base class: the CLI prints these as one line instead of a traceback."""


class BookInputError(CsmAcademyError, ValueError):
    """A book was asked for with settings that make no sense."""


class BookFileError(CsmAcademyError, OSError):
    """A book on disk is missing, unreadable or malformed."""


class UnknownAssignment(CsmAcademyError, KeyError):
    """An assignment id no lesson defines (the message lists the known ones)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
