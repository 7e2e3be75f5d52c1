"""FC3 entry point for DataWorks InstanceStatusChanges events: instance-status-changes.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Add a reaction with ``@app.on("<eventCode>")`` (runs after the audit; replaces the default one).
"""

from dwevents import FunctionApp

app = FunctionApp("InstanceStatusChanges")
handler = app.handler
initialize = app.initialize
