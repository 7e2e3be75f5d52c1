"""The one retry-with-jitter helper: how long to wait before attempt ``n + 1``.

Used by every outbound call of the runtime (verdict replies, notifications). Jitter follows the AWS
Architecture Blog, "Exponential Backoff And Jitter"
(https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/): *full* jitter spreads
retries of many instances best; *equal* jitter never retries sooner than half the backoff, which suits
rate-limited webhooks. A server's ``Retry-After`` wins when it is longer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Backoff", "backoff_delay"]


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``base · 2^(attempt-1)`` capped at ``cap`` seconds, jittered."""

    base: float = 0.1
    cap: float = 2.0
    #: "full" → uniform(0, b); "equal" → uniform(b/2, b).
    jitter: str = "full"

    def delay(
        self,
        attempt: int,
        *,
        retry_after: float | None = None,
        rng: Callable[[float, float], float] = random.uniform,
    ) -> float:
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        low = ceiling / 2 if self.jitter == "equal" else 0.0
        wait = rng(low, ceiling)
        if retry_after is not None and retry_after > wait:
            wait = retry_after
        return wait


def backoff_delay(
    attempt: int,
    rng: Callable[[float, float], float] = random.uniform,
    *,
    base: float = 0.1,
    cap: float = 2.0,
) -> float:
    """Full jitter: uniform(0, min(cap, base·2^(attempt-1)))."""
    return Backoff(base, cap).delay(attempt, rng=rng)
