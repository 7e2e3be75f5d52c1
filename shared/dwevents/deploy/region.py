"""One region for every deploy tool: ``--region`` when given, else s.yaml ``vars.region``.

Why: ``s deploy`` creates the functions in ``vars.region``; the bus rules, ``dwevents invoke --remote`` and
``dwevents doctor`` must look in the same place. Region environment variables (``DWEVENTS_REGION``,
``ALIBABA_CLOUD_REGION_ID``, ``FC_REGION``) are set for other tools and may point elsewhere, so they never
win silently: a value that differs from the chosen region is an error naming both values and where each
came from. A region that is not one Function Compute 3.0 offers is refused with the list; the list is the
fc3 component's own ``IRegion`` enum (devsapp/fc3 ``src/schema.json``, the schema s.yaml is validated
against in tests/deploy/test_fc3_schema.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dwevents import env
from dwevents.errors import ConfigError

#: Regions the fc3 component accepts (its schema's ``IRegion`` enum).
KNOWN_REGIONS = (
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-7",
    "cn-beijing",
    "cn-chengdu",
    "cn-hangzhou",
    "cn-heyuan-acdr-1",
    "cn-hongkong",
    "cn-huhehaote",
    "cn-qingdao",
    "cn-shanghai",
    "cn-shanghai-cloudspe",
    "cn-shanghai-finance-1",
    "cn-shenzhen",
    "cn-wulanchabu",
    "cn-zhangjiakou",
    "eu-central-1",
    "eu-west-1",
    "me-central-1",
    "us-east-1",
    "us-west-1",
)
#: Environment variables that name a region for other tools; checked, never obeyed.
REGION_VARIABLES = (env.REGION, env.CLOUD_REGION, env.FC_REGION)


@dataclass(frozen=True)
class Region:
    """The region the tools use and where it came from (``--region`` or ``s.yaml vars.region``)."""

    name: str
    source: str

    def __str__(self) -> str:
        return self.name


def literal(value: Any) -> str | None:
    """A usable literal: not empty and not an unexpanded Serverless Devs ``${...}`` expression."""
    text = str(value).strip() if value is not None else ""
    return text if text and "${" not in text else None


def resolve_region(
    cli: str | None, declared: Any, *, syaml_name: str = "s.yaml", environ: Mapping[str, str] | None = None
) -> Region:
    """The one region (see the module docstring); ``declared`` is s.yaml's rendered ``vars.region``."""
    source = os.environ if environ is None else environ
    chosen = literal(cli)
    if chosen:
        region = Region(chosen, "--region")
    else:
        from_file = literal(declared)
        if not from_file:
            raise ConfigError(
                f"no region: set vars.region in {syaml_name} (the region `s deploy` uses) or pass --region",
                key="region",
            )
        region = Region(from_file, f"{syaml_name} vars.region")
    if region.name not in KNOWN_REGIONS:
        raise ConfigError(
            f"unknown region {region.name!r} (from {region.source}); Function Compute 3.0 "
            f"regions: {', '.join(KNOWN_REGIONS)}",
            key="region",
        )
    for name in REGION_VARIABLES:
        value = (source.get(name) or "").strip()
        if value and value != region.name:
            raise ConfigError(
                f"${name}={value} differs from {region.source}={region.name}: unset "
                f"{name} or make the two agree (the tools never pick one silently)",
                key="region",
            )
    return region
