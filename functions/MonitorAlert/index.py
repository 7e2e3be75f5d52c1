"""FC3 entry point for DataWorks MonitorAlert events (workbench-monitor-alert).

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("MonitorAlert")
handler = app.handler
initialize = app.initialize
