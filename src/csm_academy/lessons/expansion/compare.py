"""What module 3 judges a chosen set of expansion motions against: durable ARR, capacity and the rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from csm_academy.questions.compare import SelectionBar


@dataclass(frozen=True)
class ChoiceBar(SelectionBar):
    """What a chosen set of opportunities is judged against on one book (the reference's answer).

    ``durable`` is the ARR each opportunity in the pipeline kept after its next renewal; ``barred`` the
    opportunities the rules forbid working; a choice passes when it keeps at least ``bar`` dollars.
    """

    durable: Mapping[int, float]
    capacity: int
    barred: frozenset[int]
    bar: float

    def kept(self, choice: tuple[int, ...]) -> float:
        """Durable ARR a valid choice keeps."""
        return float(sum(self.durable[i] for i in choice))

    def broken_rule(self, choice: tuple[int, ...]) -> str | None:
        """The first rule a choice breaks: 'not_in_pipeline', 'over_capacity' or 'barred', else None."""
        if any(i not in self.durable for i in choice):
            return "not_in_pipeline"
        if len(choice) > self.capacity:
            return "over_capacity"
        if any(i in self.barred for i in choice):
            return "barred"
        return None
