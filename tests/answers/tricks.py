"""Answers that try to fool a checker rather than answer the question, shared by every module's tests."""


def always_equal(signature: str, returned: str = "AlwaysEqual()", *, mapping: bool = False, number: float = 0.0) -> str:
    """Answer-cell code whose result claims to equal anything (and reads as ``number`` when made a float)."""
    base = "(dict)" if mapping else ""
    getitem = "    def __getitem__(self, key):\n        return self\n" if mapping else ""
    return (
        f"class AlwaysEqual{base}:\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        f"{getitem}"
        "    def __float__(self):\n"
        f"        return {number!r}\n"
        f"def {signature}:\n"
        f"    return {returned}\n"
    )
