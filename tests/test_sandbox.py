"""`pipenv run sandbox` (sandbox/cli.py, sandbox/tour.py; docs/sandbox.md): its refusals that start nothing, each in
a sandbox folder of its own: one line, a non-zero exit, nothing written. What needs an emulated account (the user's
sequence, a provider that cannot be installed, a Ctrl-C in a tour) is in tests/test_emulated_sandbox.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.emulator.sandbox_run import processes_of


def sandbox(folder: Path, *argv: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`pipenv run sandbox <argv>` (the Pipfile's entry runs `python -m sandbox`) with ``folder`` as its folder."""
    base = {key: value for key, value in os.environ.items() if key not in ("AWS_ENDPOINT_URL", "CDKTF_CONTEXT_JSON")}
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *argv], cwd=PROJECT_DIR, env={**base, "WALLET_SANDBOX": str(folder), **(env or {})},
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def one_error_line(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["env", "status", "down"])
def test_a_command_without_a_sandbox_is_one_line(tmp_path: Path, command: str) -> None:
    result = sandbox(tmp_path / "none", command)
    assert result.returncode == 1
    one_error_line(result, f"no sandbox runs here (none recorded in {tmp_path / 'none'})", "pipenv run sandbox up starts one")
    assert result.stdout == ("false\n" if command == "env" else "")  # `eval "$(pipenv run sandbox env)"` fails too


def test_a_tour_of_an_environment_not_in_the_table_is_refused(tmp_path: Path) -> None:
    result = sandbox(tmp_path / "sandbox", "tour", "qa")
    assert result.returncode == 2
    one_error_line(result, "qa", "dev")
    assert not (tmp_path / "sandbox").exists()


def test_a_port_in_use_is_refused(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = sandbox(tmp_path / "sandbox", "up", "--port", str(port))
    assert result.returncode == 2
    one_error_line(result, f"--port: {port} is in use")
    assert not (tmp_path / "sandbox").exists()
    assert processes_of(tmp_path / "sandbox") == []


def test_terraform_missing_is_refused_before_anything_starts(tmp_path: Path) -> None:
    path = os.pathsep.join(entry for entry in os.environ["PATH"].split(os.pathsep) if not (Path(entry) / "terraform").exists())
    result = sandbox(tmp_path / "sandbox", "up", env={"PATH": path})
    assert result.returncode == 2
    one_error_line(result, "terraform: not on the PATH")
    assert not (tmp_path / "sandbox").exists()


def test_the_tour_expects_the_destroy_each_tier_allows() -> None:
    """docs/runbook.md#3-destroy-rules, as the tour checks it: development destroys, pre-production stops at deletion
    protection, production is refused by Terraform."""
    from sandbox.tour import expected_destroy
    from stacks import config

    means = {item.environment: expected_destroy(item)[0] for item in config.load({})}
    assert means == {
        "dev": "everything destroyed",
        "staging": "stopped at the database's deletion protection",
        "prod": "refused by Terraform (prevent_destroy), nothing destroyed",
    }
    _, refused = expected_destroy(config.load({})[2])
    assert refused({"returncode": 1, "output": "Error: Instance cannot be destroyed ... lifecycle.prevent_destroy"})
    assert not refused({"returncode": 0, "output": "Destroy complete!"})


@pytest.mark.parametrize("port", ["0", "65536", "-1", "abc"])
def test_a_port_that_is_no_port_is_the_usage_and_exit_2(tmp_path: Path, port: str) -> None:
    result = sandbox(tmp_path / "sandbox", "up", "--port", port)
    assert result.returncode == 2
    assert f"argument --port: invalid port_number value: '{port}'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "sandbox").exists()


def test_a_relative_sandbox_folder_is_taken_from_where_the_command_runs(tmp_path: Path) -> None:
    """WALLET_SANDBOX=relative/path: the folder is made absolute at once (Terraform and the commands run elsewhere)."""
    env = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "status"], cwd=tmp_path, env={**env, "WALLET_SANDBOX": "relative/sandbox", "PYTHONPATH": str(PROJECT_DIR)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    one_error_line(result, f"(none recorded in {tmp_path / 'relative' / 'sandbox'})")


def test_environments_in_accounts_of_their_own_are_refused_before_anything_starts(tmp_path: Path) -> None:
    context = json.loads((PROJECT_DIR / "examples" / "accounts" / "cdktf.json").read_text())["context"]
    result = sandbox(tmp_path / "sandbox", "up", env={"CDKTF_CONTEXT_JSON": json.dumps(context)})
    assert result.returncode == 2
    one_error_line(result, "accounts of their own (account_id)", "tests/emulator/accounts.py")
    assert not (tmp_path / "sandbox").exists()
