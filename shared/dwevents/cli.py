"""``dwevents``: decode, inspect, match and run DataWorks events locally.

dwevents decode [FILE|-]          one JSON summary line per event (exit 2 on undecodable input)
dwevents catalogue [--json]       the event catalogue
dwevents match PATTERN EVENT      does an EventBridge pattern match an event? (exit 0 / 1)
dwevents invoke [FILE|DIR ...]    run events through the local EventBridge + handlers (default: events/)
dwevents serve [--port N]         the same as a local HTTP bus on 127.0.0.1
dwevents rules check FILE         validate a policy rules file
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from dwevents.errors import DwEventsError

EXIT_OK, EXIT_NO_MATCH, EXIT_BAD_INPUT = 0, 1, 2


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DwEventsError(f"{path}: cannot read ({exc.strerror})") from None


# -- decode / catalogue -----------------------------------------------------------------------------


def cmd_decode(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.envelope import decode_batch

    raw = _read(args.file)
    try:
        items = decode_batch(raw)
    except DwEventsError as exc:
        print(f"dwevents decode: {args.file}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    status = EXIT_OK
    for item in items:
        if isinstance(item, DwEventsError):
            print(f"dwevents decode: {args.file}: {item}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        out.write(json.dumps(item.summary(), ensure_ascii=False, default=str) + "\n")
    return status


def cmd_catalogue(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.catalogue import CATALOGUE

    if args.json:
        for spec in CATALOGUE:
            out.write(json.dumps(spec.as_dict(), ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max(len(s.type) for s in CATALOGUE)
    out.write(f"{'TYPE':<{width}}  {'EVENT CODE':<48} {'LEVEL':<9} {'KIND':<9} REPLY API\n")
    for spec in CATALOGUE:
        api = spec.reply_api.value if spec.reply_api else "-"
        mark = " *" if spec.inferred else ""
        out.write(
            f"{spec.type:<{width}}  {spec.event_code:<48} {spec.level.value:<9} {spec.kind.value:<9} "
            f"{api}{mark}\n"
        )
    out.write(
        f"\n{len(CATALOGUE)} event types; * = classification or reply API inferred (see `--json` notes)\n"
    )
    return EXIT_OK


# -- match ------------------------------------------------------------------------------------------


def cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.envelope import parse_json
    from dwevents.local.pattern import compile_pattern

    try:
        pattern = compile_pattern(_read(args.pattern).decode("utf-8"))
        event = parse_json(_read(args.event))
    except DwEventsError as exc:
        print(f"dwevents match: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not isinstance(event, dict):
        print("dwevents match: the event must be a JSON object", file=sys.stderr)
        return EXIT_BAD_INPUT
    matched = pattern.matches(event)
    out.write("true\n" if matched else "false\n")
    return EXIT_OK if matched else EXIT_NO_MATCH


# -- invoke / serve ---------------------------------------------------------------------------------


def _event_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise DwEventsError(f"{raw}: no such file or directory")
    return files


def _configure_logging(verbose: int) -> None:
    from dwevents import logs

    level = "DEBUG" if verbose > 1 else "INFO" if verbose == 1 else "WARNING"
    logs.configure(level=level, fmt="text", stream=sys.stderr)


def cmd_invoke(args: argparse.Namespace, out: TextIO) -> int:
    _configure_logging(args.verbose)
    files = _event_files(args.files or ["events"])
    if not files:
        raise DwEventsError("no event files found")
    if args.remote:
        return _invoke_remote(args, files, out)
    from dwevents.local.emulator import LocalBus

    syaml = Path(args.syaml)
    if not syaml.exists():
        raise DwEventsError(f"{syaml}: not found (run from the project root or pass --syaml)")
    counts: dict[str, int] = {}
    with LocalBus(syaml) as bus:
        for path in files:
            for report in bus.invoke_bytes(path.read_bytes(), source_file=str(path)):
                counts[report.outcome] = counts.get(report.outcome, 0) + 1
                if args.json:
                    out.write(json.dumps(report.as_dict(), ensure_ascii=False, default=str) + "\n")
                else:
                    _print_report(report, out)
        if not args.json:
            if bus.dataworks is not None:
                verdicts = list(bus.dataworks.verdicts)
                out.write(
                    f"\nLocal DataWorks API stand-in ({bus.dataworks.endpoint}) received "
                    f"{len(verdicts)} verdict(s):\n"
                )
                for v in verdicts:
                    out.write(
                        f"  {_get(v, 'action')}: {_get(v, 'check_result')} for message "
                        f"{_get(v, 'message_id')}  {_short(_get(v, 'tip') or '', 90)}\n"
                    )
            summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            out.write(f"\n{sum(counts.values())} event(s): {summary}\n")
    return EXIT_OK


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_report(report: Any, out: TextIO) -> None:
    name = Path(report.source_file).name if report.source_file else "-"
    fns = ", ".join(report.functions) or "(no function)"
    out.write(f"{name}  {report.type or '?'}\n  → {fns}: {report.outcome.upper()}\n")
    for action in report.actions:
        kind = action.get("action")
        if kind == "audit":
            rec = action.get("record", {})
            facts = " ".join(
                f"{k}={rec[k]}"
                for k in ("who", "workspace_id", "node", "instance", "table", "file", "status")
                if rec.get(k) not in (None, "", [])
            )
            out.write(f"    audit: {rec.get('title')}  {_short(facts, 100)}\n")
        elif kind == "notify":
            state = "sent" if action.get("ok") else f"NOT sent ({action.get('error')})"
            out.write(
                f"    notify {action.get('channel')} [{action.get('route')}]: {state}: "
                f"{_short(action.get('text') or '', 100)}\n"
            )
        elif kind == "metrics":
            lines = action.get("lines") or []
            out.write(f"    metrics: {', '.join(_metric(line) for line in lines)}\n")
        elif kind == "skip":
            out.write(f"    skipped: {action.get('reason')}\n")
    if report.verdict:
        v = report.verdict
        ack = "acknowledged" if v.get("acknowledged") else f"NOT acknowledged ({v.get('error')})"
        out.write(
            f"    verdict: {v.get('result')} via {v.get('api')} ({ack})"
            f"{' rule ' + v['rule'] if v.get('rule') else ''}"
            f"{': ' + _short(v['tip'], 90) if v.get('tip') else ''}\n"
        )
    if report.error:
        out.write(f"    error: {_short(report.error, 160)}\n")


def _metric(line: dict[str, Any]) -> str:
    label = line.get("phase") or line.get("status")
    unit = "" if line.get("unit") == "count" else line.get("unit", "")
    return f"{line['metric']}[{label}]={line['value']}{unit}"


def _invoke_remote(args: argparse.Namespace, files: list[Path], out: TextIO) -> int:
    """Route like EventBridge would (s.yaml patterns), then invoke the deployed functions through FC."""
    from dwevents.deploy.remote import invoke_remote
    from dwevents.deploy.syaml import load_syaml
    from dwevents.local.pattern import compile_pattern

    declared = load_syaml(Path(args.syaml))
    region = args.region or str(declared.vars.get("region") or "") or None
    if not region:
        raise DwEventsError("no region: pass --region or set vars.region in s.yaml")
    routes = [(fn, compile_pattern(fn.pattern)) for fn in declared.functions if fn.pattern]
    status = EXIT_OK
    for path in files:
        try:
            document = json.loads(path.read_bytes())
        except ValueError as exc:
            raise DwEventsError(f"{path}: not JSON ({exc})") from None
        for item in document if isinstance(document, list) else [document]:
            targets = [fn for fn, pattern in routes if isinstance(item, dict) and pattern.matches(item)]
            if not targets:
                out.write(json.dumps({"file": str(path), "function": None, "outcome": "unrouted"}) + "\n")
                continue
            for fn in targets:
                result = invoke_remote(
                    fn.name,
                    json.dumps(item).encode(),
                    region=region,
                    endpoint=args.endpoint,
                    protocol=args.protocol,
                )
                try:
                    response: Any = result.json()
                except ValueError:
                    response = result.body.decode("utf-8", "replace")
                record = {
                    "file": str(path),
                    "function": fn.name,
                    "status": result.status,
                    "request_id": result.request_id,
                    "error_type": result.error_type,
                    "response": response,
                }
                if not result.ok:
                    status = EXIT_NO_MATCH
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return status


def _as_dict(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "as_dict"):
        return dict(obj.as_dict())
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    return dict(obj)


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from dwevents.local.emulator import LocalBus

    _configure_logging(args.verbose)
    bus = LocalBus(Path(args.syaml))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            with lock:  # handlers run one at a time: each borrows the process environment
                reports = bus.invoke_bytes(body)
            self._reply(200, {"events": [r.as_dict() for r in reports]})

        def do_GET(self) -> None:
            if self.path == "/verdicts" and bus.dataworks is not None:
                self._reply(200, {"verdicts": [_as_dict(v) for v in bus.dataworks.verdicts]})
            else:
                self._reply(404, {"error": "POST a CloudEvent or an array of them to /; GET /verdicts"})

        def _reply(self, status: int, doc: dict[str, Any]) -> None:
            data = json.dumps(doc, ensure_ascii=False, default=str).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *a: Any) -> None:
            logging.getLogger("dwevents.serve").info(format, *a)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    out.write(
        f"dwevents local bus on http://127.0.0.1:{server.server_address[1]}/ "
        f"({len(bus.functions)} functions from {args.syaml}); Ctrl-C to stop\n"
    )
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        bus.close()
    return EXIT_OK


def cmd_rules(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.policy import PolicyEngine

    engine = PolicyEngine.load(args.file)
    out.write(f"{args.file}: {len(engine.rules)} rule(s) valid\n")
    for compiled in engine.rules:
        rule = compiled.rule
        verdict = rule.verdict if isinstance(rule.verdict, str) else f"option:{rule.verdict.option}"
        out.write(f"  {rule.name}: {rule.check.kind} on {', '.join(rule.events)} → {verdict}\n")
    return EXIT_OK


# -- entry point ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dwevents", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("decode", help="decode events and print one JSON summary per event")
    p.add_argument("file", nargs="?", default="-")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("catalogue", aliases=["catalog"], help="list every DataWorks event type")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_catalogue)

    p = sub.add_parser("match", help="match an EventBridge pattern against an event")
    p.add_argument("pattern")
    p.add_argument("event")
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("invoke", help="run events through the local EventBridge emulator and handlers")
    p.add_argument("files", nargs="*", help="event files or directories (default: events/)")
    p.add_argument("--json", action="store_true", help="one JSON object per event, nothing else on stdout")
    p.add_argument("--syaml", default="s.yaml")
    p.add_argument("--remote", action="store_true", help="invoke the deployed functions through FC's API")
    p.add_argument("--region", default=None)
    p.add_argument(
        "--endpoint", default=None, help="FC API host[:port] (default fcv3 endpoint of the region)"
    )
    p.add_argument("--protocol", default="https")
    p.add_argument("-v", "--verbose", action="count", default=0)
    p.set_defaults(func=cmd_invoke)

    p = sub.add_parser("serve", help="a local HTTP event bus on 127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument("--syaml", default="s.yaml")
    p.add_argument("-v", "--verbose", action="count", default=0)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("rules", help="policy rules files")
    rules_sub = p.add_subparsers(dest="rules_command", required=True)
    check = rules_sub.add_parser("check", help="validate a rules file")
    check.add_argument("file")
    check.set_defaults(func=cmd_rules)
    return parser


def main(argv: Iterable[str] | None = None, out: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        return int(args.func(args, out or sys.stdout))
    except DwEventsError as exc:
        print(f"dwevents {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
