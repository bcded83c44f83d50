"""A string enum that refuses a wrong value by naming the valid ones."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

__all__ = ["Choice"]


class Choice(StrEnum):
    """A str Enum whose `parse` names the valid values when given a wrong one, so that a
    typo fails loudly instead of silently meaning something else."""

    @classmethod
    def parse(cls, name: str, value: Any) -> Self:
        """The member whose value is `value`; ValueError naming `name` and the valid values."""
        try:
            return cls(str(value))
        except ValueError:
            valid = ", ".join(repr(m.value) for m in cls)
            raise ValueError(f"{name}: expected one of {valid}; got {value!r}") from None
