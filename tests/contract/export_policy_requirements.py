"""Generates contracts/policy/required-parameters.json (`make contracts`): every parameter path each service's rules
require, in the layout of its section of the policy document. The shared standards are left out: they come from
`standards` (shared.policy_client.STANDARD_PATHS). The policy service refuses a document that lacks one of these,
so a version it publishes is one every service can apply; tests/contract/test_policy_defined_once.py fails on drift.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

from shared.contracts import contracts_dir
from shared.policy_client import STANDARD_PATHS

# section of the policy document -> the service package whose domain.rules.REQUIRED_PARAMS lists what it reads
SECTIONS = {"identification": "identification", "assistance": "assistance", "gradual_exit": "gradual_exit",
            "followup": "followup"}
TARGET = "policy/required-parameters.json"


def build() -> dict:
    required = {}
    for section, package in SECTIONS.items():
        paths = importlib.import_module(f"{package}.domain.rules").REQUIRED_PARAMS
        standards = STANDARD_PATHS.get(section, {})
        required[section] = [".".join(p) for p in paths if tuple(p) not in standards]
    return {"description": "Parameter paths every service requires in its section of the policy document "
                           "(generated from the services' REQUIRED_PARAMS; standards excluded) / 各服务必需的规则参数",
            "sections": required}


def text() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main(root: Path | None = None) -> None:
    path = (root or contracts_dir()) / TARGET
    path.write_text(text(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
