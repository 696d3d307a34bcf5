"""`pipenv run sandbox`'s faults that start an emulated account of their own (sandbox/cli.py, sandbox/tour.py), each in
a sandbox folder of its own: a provider neither mirrored nor installable, and a Ctrl-C in the middle of a tour. One
line, a non-zero exit, no process left. Here, not beside the other sandbox tests, so that they run while the
lifecycle (tests/emulator/lifecycle.py) runs in the background, not after it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import PROJECT_DIR
from tests.emulator.sandbox_run import processes_of
from tests.test_sandbox import one_error_line, sandbox


def test_a_provider_neither_mirrored_nor_installable_is_one_line(tmp_path: Path) -> None:
    """No mirror (WALLET_TF_PROVIDER_MIRROR names an empty folder) and no registry (a proxy where nothing listens):
    Terraform's init fails, and `up` says which provider, where it looked and where the log is; the server is stopped."""
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
