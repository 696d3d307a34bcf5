"""`pipenv run mutate` (scripts/mutate.py): which files it mutates, and its refusal of a ref git does not know. The
mutation run itself is mutmut's (pinned in the Pipfile); its figures are in docs/development.md#mutation-testing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from scripts import mutate
from tests.conftest import PROJECT_DIR


def test_the_scope_is_where_a_bug_costs_most() -> None:
    files = mutate.scoped_files(["."])
    assert {"release/drift.py", "release/migrate.py", "costs/estimate.py", "stacks/config.py", "stacks/sidecar.py"} <= set(files)
    assert {"constructs_lib/database.py", "constructs_lib/database_backup.py", "constructs_lib/load_balancer.py"} <= set(files)
    assert not {"stacks/app.py", "constructs_lib/dashboard.py", "sandbox/server.py", "main.py"} & set(files)


def test_paths_narrow_it_to_files_of_the_scope() -> None:
    assert mutate.scoped_files(["release/drift.py", "constructs_lib"]) == [
        "release/drift.py",
        "constructs_lib/database.py",
        "constructs_lib/database_backup.py",
        "constructs_lib/fargate_service.py",
        "constructs_lib/load_balancer.py",
    ]
    assert mutate.scoped_files(["stacks/app.py"]) == []


def test_a_ref_git_does_not_know_is_one_line_and_exit_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.mutate", "--changed", "no-such-ref"], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: --changed: git cannot compare with 'no-such-ref'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""  # nothing was mutated


def test_offline_only_deselects_the_tests_of_the_background_runs_and_says_so() -> None:
    """WALLET_TEST_OFFLINE_ONLY=1 (what `pipenv run mutate` sets): a test that needs a background run is deselected, and
    pytest's summary counts it, never a silent skip; the others run."""
    env = {**os.environ, "WALLET_TEST_BACKGROUND": "0", "WALLET_TEST_OFFLINE_ONLY": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_emulated_sandbox.py", "tests/test_sandbox.py", "-k", "second_up or tour_of"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:]
    assert re.search(r"\b1 passed, \d+ deselected\b", result.stdout), result.stdout[-500:]  # the second `up` needs the sandbox run
