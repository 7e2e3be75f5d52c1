"""The DataWorks OpenAPI client: settings, the verdict on the wire, two transports and the guaranteed send.

Modules (each imports only those above it, so there is no cycle):

- :mod:`dwevents.dataworks.settings` — where and as whom to call (endpoint, protocol, region, transport);
- :mod:`dwevents.dataworks.wire` — the verdict → ``CheckResult`` mapping (done once per send), which
  parameters travel in the query string, and how an answer maps to :class:`~dwevents.errors.CloudApiError`;
- :mod:`dwevents.dataworks.lean` — the default transport: ``http.client`` + ACS3-HMAC-SHA256 signing;
- :mod:`dwevents.dataworks.sdk` — the official SDK (``alibabacloud-dataworks-public20200518``), imported
  lazily, selected with ``DWEVENTS_DATAWORKS_TRANSPORT=sdk``;
- :mod:`dwevents.dataworks.client` — :class:`~dwevents.dataworks.client.DataWorksClient`, the calls the
  project makes, over either transport;
- :mod:`dwevents.dataworks.reply` — :func:`~dwevents.dataworks.reply.send_verdict`, retried within a deadline.

This package's ``__init__`` imports nothing, so ``import dwevents.dataworks.settings`` stays light.
The choice of the default transport is recorded in ``docs/decisions/dataworks-transport.md``.
"""
