"""FC3 entry point for DataWorks ResourcesDownload events (download-resources, download-resources-execute).

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("ResourcesDownload")
handler = app.handler
initialize = app.initialize
