"""FC3 entry point for DataWorks ResourcesDownload events: download-resources, download-resources-
execute.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Register your own actions with ``@app.router.on("<eventCode>")``.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("ResourcesDownload")
handler = app.handler
initialize = app.initialize
