"""Every environment variable the package reads, named once.

Credentials are never read from files: in FC they come from the function role (context or the
``ALIBABA_CLOUD_*`` variables the runtime sets), elsewhere from the same variables.
"""

from __future__ import annotations

# -- configuration files ------------------------------------------------------------------------
CONFIG_FILE = "DWEVENTS_CONFIG"  # path to the actions config (YAML); embedded defaults when unset
RULES_FILE = "DWEVENTS_RULES"  # path to the policy rules (YAML); the shipped default when unset

# -- trust ---------------------------------------------------------------------------------------
ALLOWED_ACCOUNTS = "DWEVENTS_ALLOWED_ACCOUNTS"  # comma-separated Alibaba Cloud account ids
ALLOWED_SOURCES = "DWEVENTS_ALLOWED_SOURCES"  # default: acs.dataworks

# -- idempotency ---------------------------------------------------------------------------------
REDIS_URL = "DWEVENTS_REDIS_URL"  # redis://, rediss:// (Tair/Redis); in-memory LRU when unset
IDEMPOTENCY_TTL = "DWEVENTS_IDEMPOTENCY_TTL"  # seconds a completed record is kept (default 3600)

# -- DataWorks API (extension replies) -----------------------------------------------------------
EXTENSION_CODE = "DWEVENTS_EXTENSION_CODE"
DATAWORKS_ENDPOINT = "DWEVENTS_DATAWORKS_ENDPOINT"  # host[:port]; default dataworks.<region>.aliyuncs.com
DATAWORKS_PROTOCOL = "DWEVENTS_DATAWORKS_PROTOCOL"  # https (default) or http (local stand-in)
DATAWORKS_VPC = "DWEVENTS_DATAWORKS_VPC"  # "true" → dataworks-vpc.<region>.aliyuncs.com
REGION = "DWEVENTS_REGION"  # falls back to FC_REGION / ALIBABA_CLOUD_REGION_ID
FAIL_MODE = "DWEVENTS_FAIL_MODE"  # verdict when the policy cannot decide: OK | WARN | FAIL
DEADLINE_MARGIN_MS = "DWEVENTS_DEADLINE_MARGIN_MS"  # safety margin before the invocation deadline
MAX_DECISION_MS = "DWEVENTS_MAX_DECISION_MS"  # cap on the time a verdict may take

# -- the standard Alibaba Cloud credential variables (what FC sets for the function role) --------
ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"
CLOUD_REGION = "ALIBABA_CLOUD_REGION_ID"

# -- set by Function Compute ---------------------------------------------------------------------
FC_REGION = "FC_REGION"
FC_ACCOUNT_ID = "FC_ACCOUNT_ID"
FC_FUNCTION_NAME = "FC_FUNCTION_NAME"

# -- notifications (one channel without a config file) ------------------------------------------
WEBHOOK_URL = "DWEVENTS_WEBHOOK_URL"  # DingTalk / Feishu-Lark / WeCom / Slack / any JSON webhook, by URL
WEBHOOK_SECRET = "DWEVENTS_WEBHOOK_SECRET"  # its signing secret (DingTalk, Feishu, generic webhook)

# -- logging -------------------------------------------------------------------------------------
LOG_LEVEL = "DWEVENTS_LOG_LEVEL"
LOG_FORMAT = "DWEVENTS_LOG_FORMAT"  # json (default in FC) | text

# -- idempotency (continued) ---------------------------------------------------------------------
IDEMPOTENCY_NAMESPACE = "DWEVENTS_IDEMPOTENCY_NAMESPACE"  # key prefix; default dwevents:<FC function name>

# -- DataWorks API client (appended by the reply transport) --------------------------------------
DATAWORKS_TIMEOUT_MS = "DWEVENTS_DATAWORKS_TIMEOUT_MS"  # cap on one API attempt (default 5000)
DATAWORKS_TRANSPORT = "DWEVENTS_DATAWORKS_TRANSPORT"  # lean (default: http.client + ACS3) | sdk

# -- recording (appended by the replay tools) ----------------------------------------------------
RECORD = "DWEVENTS_RECORD"  # log | a JSON-lines file path; unset/off: no recording (see recorder.py)

# -- deploy tools (appended by dwevents.deploy; read by the deployer's shell, never by the functions) --
EVENT_BUS = "DWEVENTS_EVENT_BUS"  # the custom bus bound in DataWorks OpenEvent (s.yaml vars.eventBus)
TENANT_BUS = "DWEVENTS_TENANT_BUS"  # both (default) | custom | default: where tenant-level rules go
DLQ_ARN = "DWEVENTS_DLQ_ARN"  # dead-letter queue of every rule's target (optional; s.yaml vars.dlqArn)
ROLE_ARN = "DWEVENTS_ROLE_ARN"  # execution role of every function (s.yaml vars.roleArn)
PREFIX = "DWEVENTS_PREFIX"  # function-name prefix and rule-owner stack (s.yaml vars.prefix)
ACCOUNT_ID = "ALIBABA_CLOUD_ACCOUNT_ID"  # the account owning the functions (target ARNs)
