"""FC3 entry point for DataWorks InstanceChange events: freeze-instance, unfreeze-instance, kill-
instance, rerun-instance, set-instance-success, delete-task-instance-dependencies, pre-freeze-
instance, pre-unfreeze-instance, pre-rerun-instance, pre-set-instance-success, pre-kill-instance,
expired-task-instances-deleted.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Add a reaction with ``@app.on("<eventCode>")`` (runs after the audit and the verdict); decide an
extension point with ``@app.decide("<eventCode>")`` (combined with the rules: the stricter wins).
"""

from dwevents import FunctionApp

app = FunctionApp("InstanceChange")
handler = app.handler
initialize = app.initialize
