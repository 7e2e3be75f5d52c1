"""Alibaba Cloud EventBridge event patterns, matched locally with the cloud's own semantics.

The local router decides which function an event reaches with these patterns (the ``eventRuleFilterPattern``
of ``s.yaml``), and the policy engine's ``when`` uses the same language, so users learn one. A pattern is
validated once by :func:`compile_pattern` and turned into closures; :meth:`EventPattern.matches` then only
walks the event. Nothing here uses regular expressions, so no input can cause backtracking.

Sources (read from stored copies; revisions may lag the live pages):

* Event patterns, current text: https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-patterns
  (same text at https://help.aliyun.com/en/eventbridge/user-guide/event-patterns and
  https://www.alibabacloud.com/help/en/doc-detail/181432.htm); older text ("Numeric values are compared as
  strings … 300, 300.0, and 3.0e2 are regarded as different values"):
  https://www.alibabacloud.com/help/doc-detail/181432.htm and
  https://www.alibabacloud.com/help/en/eventbridge/latest/event-patterns
* ApsaraMQ copies of the same doc (add "Anything-but (number)", "Anything-but (list)", "Array"):
  https://www.alibabacloud.com/help/en/apsaramq-for-rocketmq/cloud-message-queue-rocketmq-5-x-series/user-guide/message-filtering-2
  and https://www.alibabacloud.com/help/en/apsaramq-for-kafka/cloud-message-queue-for-kafka/user-guide/message-filtering
* Event envelope (CloudEvents 1.0 + ``aliyun*`` extensions):
  https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-overview
* The open-source engine Alibaba published with the same pattern language, apache/rocketmq-eventbridge,
  ``common/src/main/java/org/apache/rocketmq/eventbridge/tools/pattern/`` and its tests
  ``PatternEvaluatorTest`` / ``PatternEvaluatorBuilderTest`` (Apache-2.0; behaviour reimplemented, no code
  copied).

How open questions are settled, in order: (1) what Alibaba's docs say, read literally; (2) where they are
silent, what the open-source engine's own tests assert; (3) otherwise the reading that follows the docs'
general rules ("the event must contain every field", "same nested structure", "any common element"),
noting where the open-source engine differs by accident of a library default or a generic code path.

Operators: exact values (string, number, boolean, null; ``""`` is not null), ``prefix``, ``suffix``,
``contains``, ``anything-but`` (a value, a list of values, or ``{"prefix": …}``), ``numeric`` (one or two
operator/number pairs, ANDed), ``cidr`` (IPv4 block or one IPv4 address), ``exists``. Several entries in one
array OR together, fields AND together, and an event array matches when any element matches.

Where Alibaba differs from AWS EventBridge (and what this module does):

* The payload is ``data``, not ``detail``. Top-level keys are the CloudEvents attributes (specversion, id,
  source, type, subject, time, datacontenttype, dataschema), ``data`` and the documented ``aliyun*``
  extensions. Any other key (``detail``, ``detail-type``, ``account``, ``$or`` …) makes the pattern invalid,
  as in the open-source engine; AWS would treat it as a field that must exist. Only ``data`` may nest.
* ``contains`` is an Alibaba operator (AWS has ``wildcard``). It needs a non-empty string and matches string
  values that include it, case-sensitively; numbers never match (as with prefix/suffix).
* AWS-only operators are rejected: ``equals-ignore-case``, ``wildcard``, ``$or``, and ``anything-but`` with
  ``suffix`` / ``equals-ignore-case`` / ``wildcard``. Alibaba documents only ``{"anything-but": {"prefix"}}``
  (the open-source engine also accepts ``suffix``; Alibaba's docs never show it, so it is refused here).
* Exact values compare as JSON text, as the older doc says ("compared as strings"): an integer never equals
  a float (300 ≠ 300.0; AWS's engine now canonicalises numbers), and, as in the open-source engine, the
  JSON type is not compared: ``["5"]`` matches 5, ``[5]`` matches "5", ``[true]`` matches "true". Null
  matches only null. Once parsed, ``3.0e2`` and ``300.0`` are the same float here, so they are equal.
* ``numeric`` accepts ``=``, ``>``, ``>=``, ``<``, ``<=`` and, as the open-source tests assert, ``!=`` (AWS
  has no ``!=``). Bounds must lie in -1.0e9…1.0e9 (doc limit). Equality has a 1e-7 tolerance (open-source
  engine; the doc's "6 decimal places"). Only JSON numbers match; a string "5" does not.
* ``cidr`` is IPv4 only (doc: "Only IPv4 addresses are supported"; AWS also takes IPv6). A value without
  ``/`` means one address, as the open-source tests assert (AWS rejects that form). A block contains its
  network and broadcast addresses, as the doc's "falls within a CIDR block" says; the open-source engine
  excludes both (a commons-net default), so /31 and /32 match nothing there: compiling such a block logs a
  warning.
* ``exists`` asks whether the field is present, whatever its value: ``null``, an object or an empty array
  all exist (AWS: ``exists`` works on leaf nodes only and ``exists: false`` matches an object). The
  open-source engine says "neither" for an object or an empty array, through a generic type check.
* Arrays in the event: an element that is an object or array never matches, the other elements are still
  compared (any common element matches; the open-source engine fails the whole field instead). Arrays of
  objects are not searched (AWS "crushes" them), following "same nested structure".
* A pattern with ``data`` conditions never matches an event without a ``data`` object (open-source
  engine), even ``exists: false``. Deeper, a missing or non-object parent makes the leaf missing.
* Keys are literal: ``{"data": {"a.b": …}}`` names a key ``a.b`` (the open-source engine reads a JSON path).
* An operator object holds exactly one operator; ``{"prefix": …, "suffix": …}`` (shown once in a Chinese
  API doc) is refused, as in the open-source engine: put each in its own array element to OR them.
* Empty value arrays, empty ``anything-but`` lists, empty nested objects and empty prefix/suffix/contains
  strings are refused; so are nested arrays and non-finite numbers.
"""

from __future__ import annotations

from dwevents.pattern.compiler import (
    ALIYUN_EXTENSIONS,
    CLOUDEVENT_ATTRIBUTES,
    EventPattern,
    compile_pattern,
    matches,
)
from dwevents.pattern.operators import OPERATORS
from dwevents.pattern.values import PatternError

__all__ = [
    "ALIYUN_EXTENSIONS",
    "CLOUDEVENT_ATTRIBUTES",
    "OPERATORS",
    "EventPattern",
    "PatternError",
    "compile_pattern",
    "matches",
]
