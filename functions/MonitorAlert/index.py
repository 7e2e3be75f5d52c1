"""FC3 entry point for DataWorks MonitorAlert events: workbench-monitor-alert.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Register your own actions with ``@app.router.on("<eventCode>")``.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("MonitorAlert")
handler = app.handler
initialize = app.initialize
