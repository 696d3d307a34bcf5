"""`pipenv run sandbox` (sandbox/cli.py, sandbox/tour.py; docs/sandbox.md): the emulated account for anyone.

The user's sequence (up, a first deploy of dev through `pipenv run deploy` in a shell pointed at it by `sandbox env`,
status, down) runs in the background (tests/emulator/sandbox_run.py) beside the lifecycle. Two faults that start an
emulated account run here, each in a sandbox folder of its own: a provider neither mirrored nor installable, and a
Ctrl-C in the middle of a tour: one line, a non-zero exit, and no process left. The refusals that start nothing are in
tests/test_sandbox.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EMULATOR_ENV, PROJECT_DIR, Background
from tests.emulator.sandbox_run import processes_of
from tests.test_sandbox import one_error_line, sandbox


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
    assert "state bucket wallet-service-terraform-state-123456789012-us-east-1: wallet-service/dev/terraform.tfstate" in status["output"]


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
    assert again["output"].strip() == f"error: no sandbox runs here (nothing in {record['folder']}); pipenv run sandbox up starts one"


def needs_the_emulator() -> None:
    assert os.environ.get(EMULATOR_ENV) != "0", f"{EMULATOR_ENV}=0: this test starts an emulated account"


def test_a_provider_neither_mirrored_nor_installable_is_one_line(tmp_path: Path) -> None:
    """No mirror (WALLET_TF_PROVIDER_MIRROR names an empty folder) and no registry (a proxy where nothing listens):
    Terraform's init fails, and `up` says which provider, where it looked and where the log is; the server is stopped."""
    needs_the_emulator()
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    folder = tmp_path / "sandbox"
    nowhere = {"WALLET_TF_PROVIDER_MIRROR": str(empty), "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    result = sandbox(folder, "up", env=nowhere)
    assert result.returncode == 1, result.stdout + result.stderr
    line = one_error_line(result, "hashicorp/aws 6.25.0: Terraform could not install it", "WALLET_TF_PROVIDER_MIRROR")
    assert Path(line.rsplit("its log: ", 1)[1]).is_file()  # the log it names is kept
    assert processes_of(folder) == []
    assert sandbox(folder, "down").returncode == 0
    assert not folder.exists()


def test_ctrl_c_in_the_middle_of_a_tour_leaves_nothing(tmp_path: Path) -> None:
    """A Ctrl-C (SIGINT to the terminal's process group) while the tour's first step applies Runbook 1 with Terraform."""
    needs_the_emulator()
    folder = tmp_path / "sandbox"
    env = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    tour = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "tour"], cwd=PROJECT_DIR, env={**env, "WALLET_SANDBOX": str(folder)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while not (folder / "logs" / "state-apply.log").exists():
        assert tour.poll() is None and time.monotonic() < deadline, tour.communicate()
        time.sleep(0.2)
    time.sleep(2)  # Terraform is applying
    os.killpg(tour.pid, signal.SIGINT)
    stdout, stderr = tour.communicate(timeout=60)
    assert tour.returncode == 130, stdout + stderr
    assert stderr.strip().splitlines()[-1] == f"interrupted: stopped the sandbox and removed {folder}"
    assert not folder.exists()
    time.sleep(1)
    assert processes_of(folder) == []
