"""The local DataWorks API stand-in for the benches, in its own process (see bench/_harness.py).

Prints one JSON line ``{"endpoint": ..., "env": {...}}`` when it listens, then answers ``stats`` lines on
stdin with one JSON line of counts per action and status; exits when stdin closes. Recorded requests are
folded into counts every second so a 100,000-event run does not grow the stand-in without bound.

    python bench/_standin.py [--file-content TEXT]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections import Counter

from dwevents.local.dataworks.server import DataWorksApiStandIn


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--file-content", help="the code GetIDEEventDetail returns for every message")
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def fold(server: DataWorksApiStandIn) -> None:
        with lock:
            for record in server.requests:
                counts[f"{record.action} {record.status}"] += 1
            server.reset()

    with DataWorksApiStandIn() as server:
        if args.file_content is not None:
            server.set_file_content(None, args.file_content)

        def folding() -> None:
            while not stop.wait(1.0):
                fold(server)

        threading.Thread(target=folding, daemon=True).start()
        print(json.dumps({"endpoint": server.endpoint, "env": server.client_env()}), flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                fold(server)
                with lock:
                    print(json.dumps(dict(counts)), flush=True)
        stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
