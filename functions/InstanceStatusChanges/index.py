"""FC3 entry point for DataWorks InstanceStatusChanges events: instance-status-changes.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Register your own actions with ``@app.router.on("<eventCode>")``.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("InstanceStatusChanges")
handler = app.handler
initialize = app.initialize
