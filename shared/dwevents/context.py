"""What the pipeline reads from FC's invocation context, in one place and version-tolerant.

FC3's python3.10 context has ``credentials``; python3.12's does not (read the ``ALIBABA_CLOUD_*``
variables like the runtime does). Neither documents a remaining-time method, so the deadline comes
from ``function.timeout`` measured from the moment the handler started. The context's credentials are
registered with :func:`dwevents.logs.add_secrets` as soon as the invocation is read, so no log line,
report or record of the invocation can carry them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from dwevents import env, logs

DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Invocation:
    """Facts about the current invocation the pipeline needs."""

    request_id: str
    function_name: str
    account_id: str | None
    region: str | None
    started: float  # time.monotonic()
    timeout_s: float
    #: FC's own context object (credentials on python3.10), kept for the DataWorks client.
    context: Any = field(default=None, repr=False, compare=False)

    @property
    def deadline(self) -> float:
        """Monotonic instant at which FC kills the invocation."""
        return self.started + self.timeout_s

    def remaining_ms(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def invocation_from(context: Any, *, started: float | None = None) -> Invocation:
    """The facts of FC's ``context`` (any object with the FC3 attributes; missing ones default)."""
    started = time.monotonic() if started is None else started
    function = getattr(context, "function", None)
    timeout = getattr(function, "timeout", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        timeout_s = float(remaining()) / 1000.0
    elif isinstance(timeout, (int, float)) and timeout > 0:
        timeout_s = float(timeout)
    else:
        timeout_s = DEFAULT_TIMEOUT_S
    credentials = getattr(context, "credentials", None)
    if credentials is not None:
        logs.add_secrets(
            _text(getattr(credentials, name, None))
            for name in ("access_key_secret", "security_token", "accessKeySecret", "securityToken")
        )
    return Invocation(
        request_id=str(getattr(context, "request_id", None) or "local"),
        function_name=str(getattr(function, "name", None) or os.environ.get(env.FC_FUNCTION_NAME, "")),
        account_id=_text(getattr(context, "account_id", None)) or os.environ.get(env.FC_ACCOUNT_ID),
        region=_text(getattr(context, "region", None)) or os.environ.get(env.FC_REGION),
        started=started,
        timeout_s=timeout_s,
        context=context,
    )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
