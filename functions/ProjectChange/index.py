"""FC3 entry point for DataWorks ProjectChange events (delete-project, project-deleted).

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("ProjectChange")
handler = app.handler
initialize = app.initialize
