"""The suite's core checks hold for a platform team's real configuration, not only for the defaults.

A copy of the project gets a realistic context in its cdktf.json (state bucket, account, VPC and subnet ids, a
certificate ARN, a bigger production database, alarm e-mails, owner tags, the OpenTelemetry collector of docs/architecture.md) and runs the checks that compare or scan
synthesized output there: the guardrails and stack tests, the golden addresses, checkov and the cost estimate. The
run starts when the session starts (tests/conftest.py) and runs beside the other tests.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from stacks import config
from tests.conftest import BACKGROUND_ENV, Background, copy_project, subprocess_environment
from tests.expected import ADOT_COLLECTOR

ACCOUNT = "123456789012"
CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
REALISTIC_CONTEXT: dict[str, Any] = {
    "excludeStackIdFromLogicalIds": "true",  # a cdktf feature flag beside ours
    "wallet": {
        "state_bucket": f"acme-wallet-terraform-state-{ACCOUNT}",
        "allowed_account_ids": [ACCOUNT],
        "owner": "payments-platform",
        "cost_center": "cc-4711",
    },
    "wallet-dev": {"alarm_emails": ["wallet-dev-alerts@example.com"]},
    "wallet-staging": {
        "vpc_id": "vpc-0a1b2c3d4e5f60718",
        "private_subnet_ids": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"],
        "public_subnet_ids": ["subnet-0a1b2c3d4e5f60721", "subnet-0a1b2c3d4e5f60722"],
        "certificate_arn": CERTIFICATE,
        "alarm_emails": ["wallet-staging-alerts@example.com"],
        "fargate_spot_percent": 50,
        "vpc_endpoint_azs": 2,
        "db_instance_class": "db.r7g.large",  # a class the price table does not price: named, not an exit
    },
    "wallet-prod": {
        "vpc_id": "vpc-0b1c2d3e4f5a60718",
        "certificate_arn": CERTIFICATE,
        "db_instance_class": "db.m7g.large",
        "db_allocated_storage": 200,
        "db_max_allocated_storage": 1000,
        "max_capacity": 12,
        "task_cpu": 512,
        "task_memory": 1024,
        "cpu_architecture": "ARM64",
        "ingress_cidrs": ["0.0.0.0/0", "::/0"],
        "alarm_emails": ["payments-oncall@example.com", "wallet-prod-alerts@example.com"],
        "alarm_db_connections": 400,
        "sidecars": [ADOT_COLLECTOR],
        # a copy into the team's backup account (its side: docs/database.md#copies-into-another-account)
        "backup_copy_vault_arn": "arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies",
    },
}
for _stack in config.STACK_NAMES:  # every environment of the table, a new one too, has somebody to alert
    REALISTIC_CONTEXT.setdefault(_stack, {}).setdefault("alarm_emails", [f"{_stack}-alerts@example.com"])
CORE_CHECKS = ["tests/stacks", "tests/test_golden.py", "tests/test_checkov.py", "tests/test_costs.py"]


def start_realistic_run(folder: Path) -> Background:
    project = copy_project(folder, REALISTIC_CONTEXT)
    env = {**subprocess_environment(), BACKGROUND_ENV: "0"}
    command = ["nice", "-n", "5", sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *CORE_CHECKS]
    return Background(command, folder, env, cwd=project)


def test_realistic_context_is_valid_and_changes_every_environment() -> None:
    configs = {c.stack_name: c for c in config.load(REALISTIC_CONTEXT)}
    defaults = {c.stack_name: c for c in config.load({})}
    assert all(configs[name] != defaults[name] for name in config.STACK_NAMES)


def test_core_checks_pass_with_a_realistic_context(realistic_run: Background) -> None:
    result = realistic_run.result()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    # the nested run saw the realistic context, and checkov scanned it
    assert "configuration under test: defaults, and effective from cdktf.json (wallet: " in output, output[:2000]
    assert re.search(r"checkov scanned: defaults \(\d+ checks\), effective \(\d+ checks\)", output), output[-3000:]
    assert re.fullmatch(r"=+ \d+ passed in [\d.]+s(?: \(\d+:\d+:\d+\))? =+", result.stdout.splitlines()[-1]), output[-2000:]
