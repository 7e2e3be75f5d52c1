"""``python -m dwevents.local.webhook_receiver``: point a real configuration at the receiver and watch
what arrives."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading

from .platforms import KINDS
from .server import ReceivedMessage, RejectedMessage, WebhookReceiver


def _print_message(item: ReceivedMessage | RejectedMessage) -> None:
    stamp = item.at.astimezone().strftime("%H:%M:%S")
    if isinstance(item, ReceivedMessage):
        print(f"{stamp} ACCEPTED {item.channel}:", flush=True)
        print(json.dumps(item.payload, ensure_ascii=False, indent=2), flush=True)
    else:
        print(f"{stamp} REJECTED {item.channel}: HTTP {item.status} {item.reason}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dwevents.local.webhook_receiver",
                                     description="Serve local DingTalk/Feishu/WeCom/Slack/webhook endpoints "
                                                 "that verify signatures, and print what arrives.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (default 8765)")
    parser.add_argument("--dingtalk-secret", help="expect DingTalk 加签 with this SEC... secret")
    parser.add_argument("--feishu-secret", help="expect Feishu signature verification with this secret")
    parser.add_argument("--webhook-secret", help="expect X-Dwevents-Signature with this secret")
    parser.add_argument("--exit-after", type=int, default=0, metavar="N",
                        help="stop after N accepted messages, once their answers are sent (0: run until "
                             "Ctrl-C)")
    args = parser.parse_args(argv)
    done = threading.Event()
    receiver = WebhookReceiver(dingtalk_secret=args.dingtalk_secret, feishu_secret=args.feishu_secret,
                               webhook_secret=args.webhook_secret, host=args.host, port=args.port)

    def on_message(item: ReceivedMessage | RejectedMessage) -> None:
        _print_message(item)
        if args.exit_after and len(receiver.received) >= args.exit_after:
            done.set()  # the answer is still being written: close() below waits for it

    receiver.on_message = on_message
    with receiver:
        print(f"listening on {receiver.base_url}", flush=True)
        for kind in KINDS:
            signed = {"dingtalk": args.dingtalk_secret, "feishu": args.feishu_secret,
                      "webhook": args.webhook_secret}.get(kind)
            print(f"  {kind:<9} {receiver.url(kind)}{'  (signed)' if signed else ''}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
