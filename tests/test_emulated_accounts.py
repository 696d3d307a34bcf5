"""One account per environment in the emulated account (tests/emulator/accounts.py, docs/accounts.md): the state in
333333333333, dev in 111111111111, prod in 222222222222, each bootstrapped and deployed through the project's own
commands from the credentials of yet another account."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_emulated_account import succeeded

STATE, NON_PRODUCTION, PRODUCTION = "333333333333", "111111111111", "222222222222"
BUCKET = "wallet-service-terraform-state-333333333333-us-east-1"


@pytest.fixture(scope="module")
def accounts(emulated_run: Any) -> dict[str, Any]:
    """The lifecycle's record of tests/emulator/accounts.py, once the lifecycle has ended."""
    result = emulated_run.result(timeout_seconds=3600)
    assert result.returncode == 0, f"the lifecycle run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    run = json.loads((emulated_run.outdir / "record.json").read_text())["accounts"]
    assert isinstance(run, dict), "the lifecycle ran no accounts"
    return run


def step(run: dict[str, Any], name: str) -> dict[str, Any]:
    for item in run["steps"]:
        if item["name"] == name:
            return dict(item)
    failed = [item for item in run["steps"] if item["returncode"] != 0]
    pytest.fail(f"step {name} did not run; " + (f"{failed[-1]['name']} failed:\n{failed[-1]['output'][-4000:]}" if failed else "none ran"))


def test_each_account_is_bootstrapped_by_its_administrator_roles_before_state(accounts: dict[str, Any]) -> None:
    names = [item["name"] for item in accounts["steps"]]
    expected = ["synth"] + [f"{prefix}-{step}" for prefix in (f"roles-{NON_PRODUCTION}", f"roles-{PRODUCTION}", "state")
                            for step in ("init", "apply", "replan")] + ["state-output"]  # fmt: skip
    assert names[: len(expected)] == expected
    for name in expected:  # the re-plans with -detailed-exitcode: 0 is no changes
        succeeded(step(accounts, name))
    assert step(accounts, "state-output")["output"].strip() == BUCKET
    assert "Apply complete! Resources: 11 added" in step(accounts, f"roles-{NON_PRODUCTION}-apply")["output"]  # OIDC, 2 x 5


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_each_environment_plans_deploys_and_replans_clean_as_its_roles(accounts: dict[str, Any], environment: str) -> None:
    plan = succeeded(step(accounts, f"{environment}-plan"))
    assert "to add, 0 to change, 0 to destroy." in plan["output"]
    deploy = succeeded(step(accounts, f"{environment}-deploy"))
    assert f"first deploy of wallet-{environment} at v1.2.3" in deploy["output"]
    replan = step(accounts, f"{environment}-replan")
    assert replan["returncode"] == 0, replan["output"][-4000:]  # -detailed-exitcode: 0 is no changes
    assert "No changes." in replan["output"]
    drift = succeeded(step(accounts, f"{environment}-drift"))
    assert f"drift check of wallet-{environment} at v1.2.3" in drift["output"]


def test_each_accounts_resources_are_its_own_environments(accounts: dict[str, Any]) -> None:
    held = accounts["facts"]
    assert held is not None, "a deploy failed: no facts"
    assert held[NON_PRODUCTION]["clusters"] == ["wallet-service-cluster-dev"]  # staging is not deployed here
    assert held[PRODUCTION]["clusters"] == ["wallet-service-cluster-prod"]
    assert held[STATE]["clusters"] == []
    assert held[NON_PRODUCTION]["databases"] == ["wallet-service-dev"]
    assert held[PRODUCTION]["databases"] == ["wallet-service-prod"]
    assert held[STATE]["databases"] == []
    assert held[NON_PRODUCTION]["roles"] == [
        "wallet-service-deploy-dev", "wallet-service-deploy-staging", "wallet-service-plan-dev", "wallet-service-plan-staging",
    ]  # fmt: skip
    assert held[PRODUCTION]["roles"] == ["wallet-service-deploy-prod", "wallet-service-plan-prod"]
    assert held[STATE]["roles"] == []
    assert held[STATE]["buckets"] == [BUCKET]
    assert BUCKET not in held[NON_PRODUCTION]["buckets"] + held[PRODUCTION]["buckets"]
    assert held["state_keys"] == [
        "wallet-service/dev/terraform.tfstate", "wallet-service/prod/terraform.tfstate",
    ]  # fmt: skip


def test_the_state_bucket_lets_each_role_reach_only_its_own_keys(accounts: dict[str, Any]) -> None:
    """As the emulator evaluates the bucket's policy for the caller (sandbox/bucket_policies.py); it refuses with a bare
    403 where S3 answers 403 AccessDenied."""
    assert accounts["state_access"] == {
        "dev deploy put prod": "403",
        "dev plan get prod": "403",
        "dev plan put dev": "403",
        "dev plan get dev": "allowed",
        "prod deploy get prod": "allowed",
        "prod deploy put prod": "allowed",
    }
