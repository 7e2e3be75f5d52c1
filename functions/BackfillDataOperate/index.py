"""FC3 entry point for DataWorks BackfillDataOperate events: backfill-data.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Register your own actions with ``@app.router.on("<eventCode>")``.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("BackfillDataOperate")
handler = app.handler
initialize = app.initialize
