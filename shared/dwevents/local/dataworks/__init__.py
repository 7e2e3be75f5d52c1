"""A local DataWorks API stand-in, built from the API documentation.

- :mod:`~dwevents.local.dataworks.spec` — what each API accepts (parameters, values, error codes), with
  the page it comes from;
- :mod:`~dwevents.local.dataworks.auth` — method, path, action/version headers, ACS3 signature, STS token,
  date window, nonce replay;
- :mod:`~dwevents.local.dataworks.fixtures` — what the lookup APIs answer;
- :mod:`~dwevents.local.dataworks.server` — :class:`~dwevents.local.dataworks.server.DataWorksApiStandIn`;
- :mod:`~dwevents.local.dataworks.records` — what it saw (requests, verdicts) and the faults to inject;
- :mod:`~dwevents.local.dataworks.handler` — the HTTP side.

``python -m dwevents.local.dataworks`` serves until Ctrl-C and prints the verdicts it receives.
"""
