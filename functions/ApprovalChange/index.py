"""FC3 entry point for DataWorks ApprovalChange events (approval-change-created, approval-change-finished, approval-change-before-create).

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("ApprovalChange")
handler = app.handler
initialize = app.initialize
