"""FC3 entry point for DataWorks FileChange events: delete-file, commit-file, deploy-file, run-file,
review-file.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Register your own actions with ``@app.router.on("<eventCode>")``.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("FileChange")
handler = app.handler
initialize = app.initialize
