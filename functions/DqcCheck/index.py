"""FC3 entry point for DataWorks DqcCheck events: dqc-check-feedback-event, dqc-check-finished-event,
batch-create-data-quality-rules, batch-update-data-quality-rules, batch-delete-data-quality-rules,
update-data-quality-rule, create-data-quality-evaluation-task, update-data-quality-evaluation-task,
clone-data-quality-evaluation-task, batch-delete-data-quality-evaluation-tasks, create-data-quality-
evaluation-task-notification, update-data-quality-evaluation-task-notification, delete-data-quality-
evaluation-task-notification.

Thin on purpose: decoding, trust checks, idempotency, routing, actions and verdicts live in dwevents.
Add a reaction with ``@app.on("<eventCode>")`` (runs after the audit and the verdict); decide an
extension point with ``@app.decide("<eventCode>")`` (combined with the rules: the stricter wins).
"""

from dwevents import FunctionApp

app = FunctionApp("DqcCheck")
handler = app.handler
initialize = app.initialize
