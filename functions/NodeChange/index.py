"""FC3 entry point for DataWorks NodeChange events: node-change-created, node-change-updated, start-
diJob, batch-start-diJob, node-change-deleted, undeploy-node, freeze-node, unfreeze-node.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Register your own actions with ``@app.router.on("<eventCode>")``.
"""

from dwevents.runtime import FunctionApp

app = FunctionApp("NodeChange")
handler = app.handler
initialize = app.initialize
