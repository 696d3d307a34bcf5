"""`pipenv run sandbox` (sandbox/cli.py, sandbox/tour.py; docs/sandbox.md): the emulated account for anyone.

The user's sequence (up, a first deploy of dev through `pipenv run deploy` in a shell pointed at it by `sandbox env`,
status, down) runs in the background (tests/emulator/sandbox_run.py) beside the lifecycle. The faults are in
tests/test_sandbox.py (those that start nothing) and tests/emulator/test_sandbox_faults.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Background


@pytest.fixture(scope="module")
def record(sandbox_run: Background) -> dict[str, Any]:
    result = sandbox_run.result(timeout_seconds=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    document: dict[str, Any] = json.loads((sandbox_run.outdir / "record.json").read_text())
    return document


def step(record: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [item for item in record["steps"] if item["name"] == name]
    return found  # type: ignore[no-any-return]


def test_up_points_a_shell_at_it_and_deploys_dev_through_the_projects_command(record: dict[str, Any]) -> None:
    up = step(record, "up")
    assert up["returncode"] == 0, up["output"][-3000:]
    assert 'eval "$(pipenv run sandbox env)"' in up["output"]
    assert "it cannot show (sandbox/allowlist.toml): ECS tasks: image pull, start, health checks, running count" in up["output"]
    assert record["server_pid"] is not None and any(line.startswith(f"{record['server_pid']} ") for line in up["processes"])
    deploy = step(record, "deploy")
    assert deploy["returncode"] == 0, deploy["output"][-3000:]
    assert deploy["output"].splitlines()[0] == f"{record['folder']}/project"  # `env` moved the shell into the copy
    assert "first deploy of wallet-dev at v1.2.3" in deploy["output"]
    assert 'service_name = "wallet-service-dev"' in deploy["output"]
    status = step(record, "status")
    assert status["returncode"] == 0
    assert re.search(
        r"^state bucket wallet-service-terraform-state-123456789012-us-east-1: wallet-service/dev/terraform\.tfstate \([1-9]\d* resources\)$",
        status["output"], re.MULTILINE,
    ), status["output"]  # fmt: skip


def test_preflight_and_rollback_run_against_it(record: dict[str, Any]) -> None:
    """The read-only checks before the first plan pass in the seeded account; after the deploy, a rollback finds the
    deployment finished (the emulator's deployments succeed at once) and says what to do instead."""
    preflight = step(record, "preflight")
    assert preflight["returncode"] == 0, preflight["output"][-3000:]
    for check in ("account", "network", "endpoints", "endpoint AZs", "VPC DNS", "image", "database class", "state bucket"):
        assert re.search(rf"^{re.escape(check)}\s+ok\b", preflight["output"], re.MULTILINE), (check, preflight["output"])
    rollback = step(record, "rollback")
    assert rollback["returncode"] == 2, rollback["output"]
    assert "nothing to roll back: no deployment of wallet-service-dev is pending or in progress" in rollback["output"]
    assert "is SUCCESSFUL" in rollback["output"]


def test_a_second_up_is_refused_while_one_runs(record: dict[str, Any]) -> None:
    again = step(record, "up-again")
    assert again["returncode"] == 1
    assert again["output"].strip().startswith("error: a sandbox runs already at http://127.0.0.1:")


def test_down_leaves_no_process_and_no_folder(record: dict[str, Any]) -> None:
    down = step(record, "down")
    assert down["returncode"] == 0, down["output"]
    assert down["processes"] == []
    assert not Path(record["folder"]).exists()
    assert not Path(f"/proc/{record['server_pid']}").exists()
    again = step(record, "down-again")
    assert again["returncode"] == 1
    assert again["output"].strip() == f"error: no sandbox runs here (none recorded in {record['folder']}); pipenv run sandbox up starts one"
