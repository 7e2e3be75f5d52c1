"""FC3 entry point for DataWorks InstanceChange events: freeze-instance, unfreeze-instance, kill-
instance, rerun-instance, set-instance-success, delete-task-instance-dependencies, pre-freeze-
instance, pre-unfreeze-instance, pre-rerun-instance, pre-set-instance-success, pre-kill-instance,
expired-task-instances-deleted.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Register your own actions with ``@app.router.on("<eventCode>")``.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("InstanceChange")
handler = app.handler
initialize = app.initialize
