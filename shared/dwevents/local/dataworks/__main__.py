"""``python -m dwevents.local.dataworks``: the DataWorks API stand-in on its own, printing each verdict."""

from __future__ import annotations

import argparse
import time

from dwevents.local.dataworks.records import VerdictRecord
from dwevents.local.dataworks.server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DataWorksApiStandIn,
)


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C, printing each received verdict on stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m dwevents.local.dataworks",
        description="A local DataWorks API stand-in (checks ACS3 signatures and the documented parameters).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--access-key-id", default=DEFAULT_ACCESS_KEY_ID)
    parser.add_argument("--access-key-secret", default=DEFAULT_ACCESS_KEY_SECRET)
    parser.add_argument("--security-token", default=None, help="require this STS token with the key")
    args = parser.parse_args(argv)

    def show(record: VerdictRecord) -> None:
        print(
            f"{record.received_at.isoformat(timespec='milliseconds')} {record.action} "
            f"message={record.message_id} extension={record.extension_code} "
            f"result={record.check_result} tip={record.tip!r}",
            flush=True,
        )

    tokens = {args.access_key_id: args.security_token} if args.security_token else None
    standin = DataWorksApiStandIn(
        args.host,
        args.port,
        access_keys={args.access_key_id: args.access_key_secret},
        security_tokens=tokens,
        on_verdict=show,
    )
    with standin:
        print(f"DataWorks API stand-in on {standin.url} — point the functions at it with:", flush=True)
        for key, value in standin.client_env().items():
            print(f"  export {key}={value}", flush=True)
        print("Ctrl-C to stop.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print(f"\nstopped; {len(standin.verdicts)} verdict(s) received", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
