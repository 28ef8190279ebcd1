"""What a rule reports: one :class:`Finding` per broken expectation, located by JSON pointer."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken expectation.

    ``pointer`` locates the value in the decrypted response body (``""`` = the whole body, or a
    request pointer for rules about the request, said in ``where``).
    """

    operation: str
    rule: str
    pointer: str
    expected: str
    actual: str
    where: str = "response"

    def describe(self) -> str:
        at = self.pointer or "(body)"
        return (
            f"[{self.rule}] {self.operation} {self.where} {at}: expected {self.expected}, found {self.actual}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
