"""EventBridge's event trace: events published to a bus, the rules they matched, what each push answered.

:func:`publish` plays EventBridge's part for one event: it keeps the event, matches it against every
enabled rule of the bus (the project's pattern language, dwevents.pattern) and pushes it to each Function
Compute target through the FC stand-in (the registered function runs), recording the trace rows the
console's "event trace" shows. The query actions read that back as the API pages document:

- QueryTracedEvents ("通过时间范围查询事件轨迹"), https://help.aliyun.com/zh/eventbridge/developer-reference/
  api-eventbridge-2020-04-01-querytracedevents: ``EventBusName``, ``StartTime``, ``EndTime`` (ms) required;
  ``Limit`` at most 100 ("每次返回的最大条数不超过 100"), ``NextToken``, ``EventSource``, ``EventType``,
  ``Subject``, ``MatchedRule`` optional; ``Data.Events[]`` of ``EventId``, ``EventBusName``,
  ``EventReceivedTime``, ``EventSource``, ``EventType`` plus ``Data.NextToken``.
- QueryEvent ("查询事件内容"), https://help.aliyun.com/zh/eventbridge/developer-reference/
  api-eventbridge-2020-04-01-queryevent: ``EventBusName`` and ``EventId`` required, ``EventSource``
  required for the default bus ("查询 default 总线事件时,需填写 EventSource 参数"); ``Data`` is the
  CloudEvent.
- QueryEventTraces ("查询事件轨迹推送详情"), https://help.aliyun.com/zh/eventbridge/developer-reference/
  api-eventbridge-2020-04-01-queryeventtraces: ``Data[]`` rows with ``Action`` (``PutEvent``,
  ``FilterEvent``, ``PushEvent``), ``RuleName``, ``Endpoint``, ``NotifyStatus`` (e.g. ``[200]Ok``) and times.

Stand-in choices: an unknown event id answers ``EventNotExist`` (404; the pages list no code for it); a
push to a function that does not exist records ``[404]FunctionNotFound``; a function that raises during a
synchronous push records ``[500]UnhandledInvocationError``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from dwevents.local.cloud.eventbridge import fc_function_of
from dwevents.local.cloud.state import ApiError, TracedEvent, integer_param, now_ms, page, required

if TYPE_CHECKING:
    from dwevents.local.cloud.server import CloudApiStandIn

logger = logging.getLogger(__name__)

#: QueryTracedEvents' documented page maximum.
TRACE_LIMIT_MAX = 100


def _invocation_type(target: Mapping[str, Any]) -> str:
    for param in target.get("ParamList") or []:
        if param.get("ResourceKey") == "InvocationType":
            return str(param.get("Value") or "Sync")
    return "Sync"


def publish(
    cloud: CloudApiStandIn, bus: str, event: Mapping[str, Any], received_ms: int | None = None
) -> TracedEvent:
    """Put ``event`` (a CloudEvent dict) on ``bus`` as DataWorks would and deliver it to matching rules."""
    from dwevents.pattern import PatternError, compile_pattern

    with cloud.lock:  # a snapshot: the pushes below run functions, which must not hold the lock
        if bus not in cloud.buses:
            raise KeyError(f"no bus {bus!r} in the stand-in")
        rules = sorted((rule.copy() for rule in cloud.buses[bus].values()), key=lambda r: r.name)
    received = now_ms() if received_ms is None else int(received_ms)
    traced = TracedEvent(bus, json.loads(json.dumps(event)), received)
    base = {"EventId": traced.event_id, "EventBusName": bus, "EventSource": str(event.get("source") or "")}
    traced.traces.append({**base, "Action": "PutEvent", "ReceivedTime": received, "ActionTime": received})
    for rule in rules:
        if rule.status != "ENABLE":
            continue
        try:
            matched = compile_pattern(json.loads(rule.filter_pattern)).matches(dict(event))
        except (PatternError, ValueError):
            matched = False
        if not matched:
            continue
        traced.matched_rules.append(rule.name)
        traced.traces.append(
            {
                **base,
                "Action": "FilterEvent",
                "RuleName": rule.name,
                "RuleMatchingTime": str(received),
                "ActionTime": received,
            }
        )
        for target in rule.targets.values():
            status = _push(cloud, target, traced)
            traced.traces.append(
                {
                    **base,
                    "Action": "PushEvent",
                    "RuleName": rule.name,
                    "Endpoint": str(target.get("Endpoint") or ""),
                    "NotifyStatus": status,
                    "NotifyLatency": "1",
                    "NotifyTime": received,
                    "ActionTime": received,
                }
            )
    with cloud.lock:
        cloud.traced.append(traced)
    return traced


def _push(cloud: CloudApiStandIn, target: Mapping[str, Any], traced: TracedEvent) -> str:
    function = fc_function_of(target)
    if function is None:
        return "[200]Ok"  # not an FC target: nothing to run here
    try:
        cloud.deliver(function, json.dumps(traced.event).encode(), _invocation_type(target))
    except ApiError as exc:
        return f"[{exc.status}]{exc.code}"
    except Exception as exc:  # the function's own failure
        logger.debug("stand-in push to %s failed: %s", function, type(exc).__name__)
        return "[500]UnhandledInvocationError"
    return "[200]Ok"


def _find(cloud: CloudApiStandIn, params: Mapping[str, str]) -> TracedEvent:
    bus = required(params, "EventBusName")
    if bus not in cloud.buses:
        raise ApiError(404, "EventBusNotExist", f"The event bus [{bus}] not existed!")
    event_id = required(params, "EventId")
    for traced in reversed(cloud.traced):
        if traced.bus == bus and traced.event_id == event_id:
            return traced
    raise ApiError(404, "EventNotExist", f"The event [{event_id}] not existed on bus [{bus}]")


def query_traced_events(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    bus = required(params, "EventBusName")
    start = integer_param(params, "StartTime", need=True)
    end = integer_param(params, "EndTime", need=True)
    if bus not in cloud.buses:
        raise ApiError(404, "EventBusNotExist", f"The event bus [{bus}] not existed!")
    assert start is not None and end is not None
    if start > end:
        raise ApiError(400, "InvalidParameter", "StartTime must not be after EndTime")
    filters = {key: params.get(key) or "" for key in ("EventSource", "EventType", "Subject", "MatchedRule")}
    selected = [
        t
        for t in cloud.traced
        if t.bus == bus
        and start <= t.received_ms <= end
        and (not filters["EventSource"] or t.event.get("source") == filters["EventSource"])
        and (not filters["EventType"] or t.event.get("type") == filters["EventType"])
        and (not filters["Subject"] or t.event.get("subject") == filters["Subject"])
        and (not filters["MatchedRule"] or filters["MatchedRule"] in t.matched_rules)
    ]
    selected.sort(key=lambda t: (t.received_ms, t.event_id))
    chunk, next_token = page(selected, params, cloud.trace_page_size, TRACE_LIMIT_MAX)
    return {"Events": [t.summary() for t in chunk], "NextToken": next_token, "Total": len(selected)}


def query_event(cloud: CloudApiStandIn, params: Mapping[str, str]) -> Any:
    if params.get("EventBusName") == "default":
        required(params, "EventSource")
    traced = _find(cloud, params)
    if params.get("EventSource") and params["EventSource"] != traced.event.get("source"):
        raise ApiError(404, "EventNotExist", f"The event [{traced.event_id}] has another source")
    return traced.event


def query_event_traces(cloud: CloudApiStandIn, params: Mapping[str, str]) -> list[dict[str, Any]]:
    return [dict(row) for row in _find(cloud, params).traces]


ACTIONS: dict[str, Callable[[CloudApiStandIn, Mapping[str, str]], Any]] = {
    "QueryTracedEvents": query_traced_events,
    "QueryEvent": query_event,
    "QueryEventTraces": query_event_traces,
}
