"""The verdict an extension point gets: OK, WARN or FAIL, with a short tip for the user."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

#: DataWorks shows the tip in the IDE / Operation Center; keep it short and bounded.
MAX_TIP_CHARS = 500


class CheckResult(str, Enum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"

    @property
    def severity(self) -> int:
        """FAIL beats WARN beats OK."""
        return {"OK": 0, "WARN": 1, "FAIL": 2}[self.value]


@dataclass(frozen=True)
class Verdict:
    """What the policy decided, and why.

    ``origin`` says where it came from: ``policy`` (a rule or no rule failing), ``extension-params``
    (DataWorks' own extension parameters disabled the check), ``fail-open`` / ``fail-closed`` (the
    policy raised or ran out of time), ``stored`` (a duplicate delivery re-sends the first verdict).
    """

    result: CheckResult
    tip: str = ""
    rule: str | None = None
    origin: str = "policy"

    def __post_init__(self) -> None:
        object.__setattr__(self, "tip", truncate_tip(self.tip))

    def as_dict(self) -> dict[str, str | None]:
        return {"result": self.result.value, "tip": self.tip, "rule": self.rule, "origin": self.origin}

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Verdict:
        return cls(
            CheckResult(str(data["result"])),
            str(data.get("tip") or ""),
            data.get("rule"),
            str(data.get("origin") or "stored"),
        )


def truncate_tip(tip: str, limit: int = MAX_TIP_CHARS) -> str:
    """One line of at most ``limit`` characters, ending in an ellipsis when cut."""
    text = " ".join(str(tip).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
