"""The policy engine: rules from a YAML file decide OK / WARN / FAIL for extension points.

A rule names the eventCodes it applies to, an optional ``when`` (an EventBridge pattern over the
event: the same matcher and language as the local router), one ``check``, the ``verdict`` it gives
when the check fails (FAIL, WARN, or a per-workspace option such as the MAX_PT demo's
``checkStatus``) and a ``tip`` with ``{placeholders}`` from the event. FAIL beats WARN; among equal
verdicts the first failing rule decides; no rule failing → OK.

Before any rule, DataWorks' own extension parameters (read with GetExtension, cached) are honoured:
``extension.project.disabled``, ``extension.project.{eventCode}.disabled`` (and their ``.append``
forms) and ``extension.fileType.{fileType}.{eventCode}.enabled``. Enrichment (GetExtension,
GetIDEEventDetail, GetOptionValueForProject) happens only when an applicable rule needs it.

The package, bottom up: :mod:`.rules` (the file's schema and loader), :mod:`.enrich` (DataWorks calls and
extension parameters), :mod:`.checks` (freeze, allowed window, code, limit, allow/deny, reading the
event's facts) and :mod:`.engine` (:class:`PolicyEngine`).
"""

from dwevents.policy.checks import (
    Failure,
    check_code,
    check_freeze,
    check_limit,
    check_list,
    check_window,
    code_text,
)
from dwevents.policy.engine import CompiledRule, PolicyEngine
from dwevents.policy.enrich import Enricher, ExtensionParamCache, disabled_by_params, parse_parameter_setting
from dwevents.policy.rules import (
    Check,
    CodeCheck,
    DateRange,
    FreezeCheck,
    LimitCheck,
    ListCheck,
    OptionVerdict,
    Rule,
    RulesFile,
    TimeWindow,
    WindowCheck,
    load_rules,
)

__all__ = [
    "Check",
    "CodeCheck",
    "CompiledRule",
    "DateRange",
    "Enricher",
    "ExtensionParamCache",
    "Failure",
    "FreezeCheck",
    "LimitCheck",
    "ListCheck",
    "OptionVerdict",
    "PolicyEngine",
    "Rule",
    "RulesFile",
    "TimeWindow",
    "WindowCheck",
    "check_code",
    "check_freeze",
    "check_limit",
    "check_list",
    "check_window",
    "code_text",
    "disabled_by_params",
    "load_rules",
    "parse_parameter_setting",
]
