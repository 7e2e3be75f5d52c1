"""FC3 entry point for DataWorks TableChange events: commit-table, deploy-table.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Add a reaction with ``@app.on("<eventCode>")`` (runs after the audit and the verdict); decide an
extension point with ``@app.decide("<eventCode>")`` (combined with the rules: the stricter wins).
"""

from dwevents import FunctionApp

app = FunctionApp("TableChange")
handler = app.handler
initialize = app.initialize
