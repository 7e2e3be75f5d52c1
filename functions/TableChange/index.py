"""FC3 entry point for DataWorks TableChange events (commit-table, deploy-table).

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("TableChange")
handler = app.handler
initialize = app.initialize
