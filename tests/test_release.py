"""`pipenv run release` follows the release order: migration task first, migrations, then the service; a failed migration
stops it before the service moves. Run in a project copy with a `terraform` and a `python -m release.migrate` that
record their calls instead of reaching AWS (everything else, the synthesis included, is real)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR, copy_project, effective_context, subprocess_environment

FAKE_TERRAFORM = """#!/usr/bin/env bash
echo "terraform $*" >> "$CALLS"
case "$*" in *"output -raw service_image_tag"*) [ -n "$CURRENT_TAG" ] && echo -n "$CURRENT_TAG" || exit 1 ;; esac
"""
# Stands in for `python` only for `-m release.migrate`; anything else runs the real interpreter.
FAKE_PYTHON = f"""#!/usr/bin/env bash
if [ "$1 $2" = "-m release.migrate" ]; then echo "migrate $3" >> "$CALLS"; exit "$MIGRATE_EXIT"; fi
exec {sys.executable} "$@"
"""


def with_state_bucket() -> dict[str, Any]:
    """The effective context with the state bucket set (the step after the bootstrap)."""
    context = effective_context()
    return {**context, "wallet": {**context.get("wallet", {}), "state_bucket": "acme-wallet-terraform-state"}}


def start(tmp_path: Path, name: str, *, current: str, migrate_exit: int, context: dict[str, Any]) -> tuple[subprocess.Popen[str], Path]:
    project = copy_project(tmp_path / name, context)
    shutil.copytree(PROJECT_DIR / "scripts", project / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    bin_dir = tmp_path / f"{name}-bin"
    bin_dir.mkdir()
    for tool, text in (("terraform", FAKE_TERRAFORM), ("python", FAKE_PYTHON)):
        (bin_dir / tool).write_text(text)
        (bin_dir / tool).chmod(stat.S_IRWXU)
    calls = tmp_path / f"{name}-calls.txt"
    env = {
        **subprocess_environment(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(calls),
        "CURRENT_TAG": current,
        "MIGRATE_EXIT": str(migrate_exit),
        "AUTO_APPROVE": "1",
    }
    command = ["bash", "scripts/terraform.sh", "release", "prod", "v1.2.4"]
    return subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), calls


Runs = dict[str, tuple[subprocess.CompletedProcess[str], list[str]]]
CASES = {"ok": ("v1.2.3", 0), "failed": ("v1.2.3", 1), "new": ("", 0), "no-state-bucket": ("", 0)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The cases at once (each but the last synthesizes the stacks, about 2 s)."""
    base = tmp_path_factory.mktemp("release")
    started = {
        name: start(base, name, current=current, migrate_exit=code, context={} if name == "no-state-bucket" else with_state_bucket())
        for name, (current, code) in CASES.items()
    }
    results = {}
    for name, (process, calls) in started.items():
        stdout, stderr = process.communicate(timeout=300)
        completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        results[name] = (completed, calls.read_text().splitlines() if calls.exists() else [])
    return results


FOLDER = "-chdir=cdktf.out/stacks/wallet-prod"


def test_migrations_run_between_the_two_applies(runs: Runs) -> None:
    result, calls = runs["ok"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == [
        f"terraform {FOLDER} init -input=false",
        f"terraform {FOLDER} output -raw service_image_tag",
        f"terraform {FOLDER} apply -input=false -auto-approve -var image_tag=v1.2.3 -var migration_image_tag=v1.2.4",
        "migrate wallet-prod",
        f"terraform {FOLDER} apply -input=false -auto-approve -var image_tag=v1.2.4",
    ]
    assert "wallet-prod      " in result.stdout  # synthesized first (main.py's line per stack)


def test_a_failed_migration_leaves_the_service_on_the_current_release(runs: Runs) -> None:
    result, calls = runs["failed"]
    assert result.returncode == 1
    assert calls[-1] == "migrate wallet-prod"
    assert not [call for call in calls if "image_tag=v1.2.4" in call and "migration_image_tag" not in call]


def test_the_first_deploy_starts_the_service_empty_and_migrates_before_it_gets_tasks(runs: Runs) -> None:
    result, calls = runs["new"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == [
        f"terraform {FOLDER} init -input=false",
        f"terraform {FOLDER} output -raw service_image_tag",
        f"terraform {FOLDER} apply -input=false -auto-approve -var image_tag=v1.2.4 -var bootstrap=true",
        "migrate wallet-prod",
        f"terraform {FOLDER} apply -input=false -auto-approve -var image_tag=v1.2.4",
    ]


def test_no_plan_or_apply_while_the_backends_have_no_bucket(runs: Runs) -> None:
    result, calls = runs["no-state-bucket"]
    assert result.returncode == 2
    assert calls == []
    assert result.stderr.startswith("error: state_bucket: not set, so the environment stacks' S3 backends have no bucket;")
    assert len(result.stderr.splitlines()) == 1
