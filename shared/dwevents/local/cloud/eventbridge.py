"""EventBridge 2020-04-01 rules, targets, buses and the service-linked-role check, as the API pages
document them.

Pages (the Chinese originals where translations differ):
- CreateRule / UpdateRule / GetRule / ListRules / DeleteRule / EnableRule / DisableRule, PutTargets /
  ListTargets / DeleteTargets: https://help.aliyun.com/zh/eventbridge/developer-reference/
  api-eventbridge-2020-04-01-puttargets (and the sibling pages). ``PushRetryStrategy`` is
  ``BACKOFF_RETRY`` or ``EXPONENTIAL_DECAY_RETRY``; ``DeadLetterQueue.Arn`` names an MNS queue, a RocketMQ
  or Kafka topic, or an EventBridge bus.
- "事件目标参数" (event target parameters), https://help.aliyun.com/document_detail/185887.html: a
  ``ParamList`` entry's ``Form`` is ``ORIGINAL``, ``TEMPLATE``, ``JSONPATH`` or ``CONSTANT``; the Function
  Compute target (``Type: acs.fc.function``) takes ``serviceName``, ``functionName``, ``Qualifier``,
  ``Body``, ``InvocationType`` (``Sync``/``Async``) and ``DataFormat``, and its documented endpoint is the
  FC 2.0 one, ``acs:fc:<region>:<account>:services/<service>.<qualifier>/functions/<function>``.
- GetEventBus (``Data.EventBusARN``, ``EventBusName``, ``Description``, ``CreateTimestamp``):
  https://help.aliyun.com/zh/eventbridge/developer-reference/api-eventbridge-2020-04-01-geteventbus
- CheckServiceLinkedRoleForProduct ("检查账号是否存在ServiceLinkedRole授权"):
  https://help.aliyun.com/zh/eventbridge/developer-reference/
  api-eventbridge-2020-04-01-checkservicelinkedroleforproduct — ``Data.CheckPass`` / ``Data.StsRoleName``.

Stand-in choices the pages do not settle (each marked where it is made): the FC 3.0 endpoint form
``acs:fc:<region>:<account>:functions/<function>`` is accepted without ``serviceName`` (undocumented; the
project's default, see dwevents/deploy/targets.py); a second CreateRule with an existing name answers
``EventRuleExisted`` (409).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from dwevents.local.cloud.state import ApiError, StoredRule, json_param, now_ms, page, required

if TYPE_CHECKING:
    from dwevents.local.cloud.server import CloudApiStandIn

FC_TARGET = "acs.fc.function"
PUSH_RETRY_STRATEGIES = frozenset({"BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY"})
ERRORS_TOLERANCE = frozenset({"ALL", "NONE"})
PARAM_FORMS = frozenset({"ORIGINAL", "TEMPLATE", "JSONPATH", "CONSTANT"})
INVOCATION_TYPES = frozenset({"Sync", "Async"})
DATA_FORMATS = frozenset({"Object", "ObjectList"})
#: Required ParamList keys of an FC target besides ``serviceName`` (required with the 2.0 endpoint).
FC_REQUIRED_PARAMS = ("functionName", "Qualifier", "Body", "InvocationType", "DataFormat")
_FC2_ENDPOINT = re.compile(
    r"^acs:fc:[a-z0-9-]+:\d+:services/(?P<service>[^./]+)\.(?P<qualifier>[^/]+)"
    r"/functions/(?P<function>[^/]+)$"
)
_FC3_ENDPOINT = re.compile(r"^acs:fc:[a-z0-9-]+:\d+:functions/(?P<function>[^/]+)$")
_DLQ_ARN = re.compile(r"^acs:(mns|mq|alikafka|eventbridge):")

#: Actions that change state; tests assert a dry run sends none of them.
MUTATING_ACTIONS = frozenset(
    {
        "CreateRule",
        "UpdateRule",
        "DeleteRule",
        "EnableRule",
        "DisableRule",
        "PutTargets",
        "DeleteTargets",
    }
)


def fc_function_of(target: Mapping[str, Any]) -> str | None:
    """The function an FC target names (its ``functionName`` param, else the endpoint's); None: not FC."""
    if target.get("Type") != FC_TARGET:
        return None
    for param in target.get("ParamList") or []:
        if param.get("ResourceKey") == "functionName" and param.get("Value"):
            return str(param["Value"])
    endpoint = str(target.get("Endpoint") or "")
    found = _FC2_ENDPOINT.match(endpoint) or _FC3_ENDPOINT.match(endpoint)
    return found.group("function") if found else None


def validate_target(target: Any) -> dict[str, Any]:
    """A target as PutTargets/CreateRule accept it; anything the pages do not allow is refused."""
    if not isinstance(target, dict) or not target.get("Id"):
        raise ApiError(400, "InvalidParameter", "every target needs an Id")
    if not target.get("Type"):
        raise ApiError(400, "MissingParameter", "target Type is required")
    tid = target["Id"]
    strategy = target.get("PushRetryStrategy")
    if strategy not in (None, "") and strategy not in PUSH_RETRY_STRATEGIES:
        raise ApiError(
            400,
            "InvalidParameter",
            f"target {tid}: PushRetryStrategy {strategy!r} is not one of {sorted(PUSH_RETRY_STRATEGIES)}",
        )
    tolerance = target.get("ErrorsTolerance")
    if tolerance not in (None, "") and tolerance not in ERRORS_TOLERANCE:
        raise ApiError(400, "InvalidParameter", f"target {tid}: ErrorsTolerance {tolerance!r}")
    dlq = target.get("DeadLetterQueue")
    if dlq is not None:
        arn = dlq.get("Arn") if isinstance(dlq, dict) else None
        if not arn or not _DLQ_ARN.match(str(arn)):
            raise ApiError(
                400,
                "InvalidParameter",
                f"target {tid}: DeadLetterQueue.Arn {arn!r} is not an "
                "MNS, RocketMQ, Kafka or EventBridge ARN",
            )
    params: dict[str, dict[str, Any]] = {}
    for param in target.get("ParamList") or []:
        if not isinstance(param, dict) or not param.get("ResourceKey"):
            raise ApiError(
                400, "InvalidParameter", f"target {tid}: every ParamList entry needs a ResourceKey"
            )
        if param.get("Form") not in PARAM_FORMS:
            raise ApiError(
                400,
                "InvalidParameter",
                f"target {tid}: param {param['ResourceKey']}: Form "
                f"{param.get('Form')!r} is not one of {sorted(PARAM_FORMS)}",
            )
        params[str(param["ResourceKey"])] = param
    if target["Type"] == FC_TARGET:
        _validate_fc_target(tid, str(target.get("Endpoint") or ""), params)
    stored = {key: value for key, value in target.items() if value is not None}
    stored["ParamList"] = [dict(p) for p in target.get("ParamList") or []]
    return stored


def _validate_fc_target(tid: str, endpoint: str, params: Mapping[str, Mapping[str, Any]]) -> None:
    missing = [key for key in FC_REQUIRED_PARAMS if key not in params]
    fc2 = _FC2_ENDPOINT.match(endpoint)
    if fc2 and "serviceName" not in params:
        missing.insert(0, "serviceName")
    if missing:
        raise ApiError(
            400, "InvalidParameter", f"target {tid}: the Function Compute target needs {', '.join(missing)}"
        )
    if not fc2 and not _FC3_ENDPOINT.match(endpoint):  # stand-in choice: the FC 3.0 form is accepted
        raise ApiError(400, "InvalidParameter", f"target {tid}: Endpoint {endpoint!r} is not an FC ARN")
    if params["Body"].get("Form") != "ORIGINAL" and not params["Body"].get("Template"):
        raise ApiError(400, "InvalidParameter", f"target {tid}: Body needs ORIGINAL or a template")
    constant = {key: str(params[key].get("Value") or "") for key in ("InvocationType", "DataFormat")}
    if constant["InvocationType"] not in INVOCATION_TYPES:
        raise ApiError(
            400,
            "InvalidParameter",
            f"target {tid}: InvocationType {constant['InvocationType']!r} is not Sync or Async",
        )
    if constant["DataFormat"] not in DATA_FORMATS:
        raise ApiError(400, "InvalidParameter", f"target {tid}: DataFormat {constant['DataFormat']!r}")
    if fc2 and params["functionName"].get("Value") != fc2.group("function"):
        raise ApiError(400, "InvalidParameter", f"target {tid}: functionName differs from the Endpoint")


# -- actions ----------------------------------------------------------------------------------------
def _bus(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, StoredRule]:
    name = required(params, "EventBusName")
    if name not in cloud.buses:
        raise ApiError(404, "EventBusNotExist", f"The event bus [{name}] not existed!")
    return cloud.buses[name]


def _rule(cloud: CloudApiStandIn, params: Mapping[str, str]) -> StoredRule:
    rules = _bus(cloud, params)
    name = required(params, "RuleName")
    if name not in rules:
        raise ApiError(404, "EventRuleNotExisted", f"The event rule [{name}] not existed!")
    return rules[name]


def _summary(cloud: CloudApiStandIn, rule: StoredRule) -> dict[str, Any]:
    return {
        "RuleARN": rule.arn(cloud.region, cloud.account_id),
        "EventBusName": rule.bus,
        "RuleName": rule.name,
        "Description": rule.description,
        "Status": rule.status,
        "FilterPattern": rule.filter_pattern,
        "CreatedTimestamp": rule.created,
    }


def _target_out(rule: StoredRule, target: Mapping[str, Any]) -> dict[str, Any]:
    return {**json.loads(json.dumps(target)), "RuleName": rule.name, "EventBusName": rule.bus}


def create_rule(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    rules = _bus(cloud, params)
    name = required(params, "RuleName")
    if name in rules:  # stand-in choice: the page lists no code for a duplicate name
        raise ApiError(409, "EventRuleExisted", f"The event rule [{name}] already existed!")
    pattern = json_param(params, "FilterPattern", need=True)
    targets = [validate_target(t) for t in json_param(params, "EventTargets") or []]
    rule = StoredRule(
        params["EventBusName"],
        name,
        params.get("Description", ""),
        json.dumps(pattern),
        params.get("Status") or "ENABLE",
        now_ms(),
        {str(t["Id"]): t for t in targets},
    )
    rules[name] = rule
    return {"RuleARN": rule.arn(cloud.region, cloud.account_id)}


def get_rule(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    rule = _rule(cloud, params)
    return {**_summary(cloud, rule), "Targets": [_target_out(rule, t) for t in rule.targets.values()]}


def list_rules(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    rules = _bus(cloud, params)
    prefix = params.get("RuleNamePrefix", "")
    selected = sorted((r for r in rules.values() if r.name.startswith(prefix)), key=lambda r: r.name)
    chunk, next_token = page(selected, params, cloud.list_page_size)
    return {
        "Rules": [
            {
                **_summary(cloud, r),
                "Targets": [
                    {"Id": t["Id"], "Type": t.get("Type", ""), "Endpoint": t.get("Endpoint", "")}
                    for t in r.targets.values()
                ],
            }
            for r in chunk
        ],
        "NextToken": next_token,
        "Total": len(selected),
    }


def update_rule(cloud: CloudApiStandIn, params: Mapping[str, str]) -> None:
    rule = _rule(cloud, params)
    if "FilterPattern" in params:
        rule.filter_pattern = json.dumps(json_param(params, "FilterPattern", need=True))
    if "Description" in params:
        rule.description = params["Description"]
    if params.get("Status"):
        rule.status = params["Status"]


def delete_rule(cloud: CloudApiStandIn, params: Mapping[str, str]) -> None:
    rule = _rule(cloud, params)
    del cloud.buses[rule.bus][rule.name]


def enable_rule(cloud: CloudApiStandIn, params: Mapping[str, str]) -> None:
    _rule(cloud, params).status = "ENABLE"


def disable_rule(cloud: CloudApiStandIn, params: Mapping[str, str]) -> None:
    _rule(cloud, params).status = "DISABLE"


def put_targets(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    rule = _rule(cloud, params)
    targets = json_param(params, "Targets", need=True)
    if not isinstance(targets, list) or not targets:
        raise ApiError(400, "InvalidParameter", "Targets must be a non-empty JSON array")
    for target in [validate_target(t) for t in targets]:
        rule.targets[str(target["Id"])] = target
    return {"ErrorEntriesCount": 0, "ErrorEntries": []}


def delete_targets(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    rule = _rule(cloud, params)
    ids = json_param(params, "TargetIds", need=True) or []
    errors = [
        {"EntryId": i, "ErrorCode": "EventTargetNotExisted", "ErrorMessage": f"target {i} not existed"}
        for i in ids
        if i not in rule.targets
    ]
    for target_id in ids:
        rule.targets.pop(target_id, None)
    return {"ErrorEntriesCount": len(errors), "ErrorEntries": errors}


def list_targets(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    rule = _rule(cloud, params)
    targets = sorted(rule.targets.values(), key=lambda t: str(t["Id"]))
    chunk, next_token = page(targets, params, cloud.list_page_size)
    return {"Targets": [_target_out(rule, t) for t in chunk], "NextToken": next_token, "Total": len(targets)}


def get_event_bus(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    _bus(cloud, params)
    name = params["EventBusName"]
    return {
        "EventBusName": name,
        "Description": cloud.bus_descriptions.get(name, ""),
        "EventBusARN": f"acs:eventbridge:{cloud.region}:{cloud.account_id}:eventbus/{name}",
        "CreateTimestamp": cloud.started_ms,
    }


def check_service_linked_role(cloud: CloudApiStandIn, params: Mapping[str, str]) -> dict[str, Any]:
    name = params.get("ProductName", "")
    return {"StsRoleName": name, "CheckPass": name in cloud.service_linked_roles}


ACTIONS: dict[str, Callable[[CloudApiStandIn, Mapping[str, str]], Any]] = {
    "CreateRule": create_rule,
    "GetRule": get_rule,
    "ListRules": list_rules,
    "UpdateRule": update_rule,
    "DeleteRule": delete_rule,
    "EnableRule": enable_rule,
    "DisableRule": disable_rule,
    "PutTargets": put_targets,
    "DeleteTargets": delete_targets,
    "ListTargets": list_targets,
    "GetEventBus": get_event_bus,
    "CheckServiceLinkedRoleForProduct": check_service_linked_role,
}
