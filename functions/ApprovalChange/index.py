"""FC3 entry point for DataWorks ApprovalChange events: approval-change-created, approval-change-
finished, approval-change-before-create.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Register your own actions with ``@app.router.on("<eventCode>")``.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("ApprovalChange")
handler = app.handler
initialize = app.initialize
