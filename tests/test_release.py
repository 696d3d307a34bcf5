"""`pipenv run release` follows the release order: migration task first, migrations, then the service; a failed migration
stops it before the service moves. Run in a project copy with a `terraform` and a `python -m release.migrate` that
record their calls instead of reaching AWS (everything else, the synthesis included, is real)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR, copy_project, effective_context, subprocess_environment

FAKE_TERRAFORM = """#!/usr/bin/env bash
echo "terraform $*" >> "$CALLS"
case "$*" in
  *"state list"*) [ -n "$STATE_FAILS" ] && exit 1; if [ -n "$DEPLOYED" ]; then echo aws_ecs_service.service_service; fi ;;
  *"output -raw service_image_tag"*) [ -n "$CURRENT_TAG" ] && echo -n "$CURRENT_TAG" || exit 1 ;;
esac
"""
# Stands in for `python` for `-m release.migrate`, and for `main.py` where the synthesis is not under test (it is in
# the "ok" case, and everywhere else in the suite); anything else runs the real interpreter.
FAKE_PYTHON = f"""#!/usr/bin/env bash
if [ "$1 $2" = "-m release.migrate" ]; then echo "migrate $3" >> "$CALLS"; exit "$MIGRATE_EXIT"; fi
if [ "$1" = main.py ] && [ -n "$SKIP_SYNTH" ]; then exit 0; fi
exec {sys.executable} "$@"
"""
FAKE_CDKTF = """#!/usr/bin/env bash
echo "cdktf $*" >> "$CALLS"
"""


def with_state_bucket() -> dict[str, Any]:
    """The effective context with the state bucket set (the step after the bootstrap)."""
    context = effective_context()
    return {**context, "wallet": {**context.get("wallet", {}), "state_bucket": "acme-wallet-terraform-state"}}


@dataclass(frozen=True)
class Case:
    action: str
    deployed: bool = True
    current: str = "v1.2.3"  # the service_image_tag output; "" when there is none
    migrate_exit: int = 0
    state_bucket: bool = True
    state_fails: bool = False  # the state cannot be read (credentials, network)


CASES = {
    "ok": Case("release"),
    "failed": Case("release", migrate_exit=1),
    "new": Case("release", deployed=False, current=""),
    "deployed-without-output": Case("release", current=""),
    "no-state-bucket": Case("release", deployed=False, current="", state_bucket=False),
    "deploy": Case("deploy"),
    "deploy-new": Case("deploy", deployed=False, current=""),
    "state-unreadable": Case("deploy", state_fails=True),
}


def start(tmp_path: Path, name: str, case: Case) -> tuple[subprocess.Popen[str], Path]:
    project = copy_project(tmp_path / name, with_state_bucket() if case.state_bucket else {})
    shutil.copytree(PROJECT_DIR / "scripts", project / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    bin_dir = tmp_path / f"{name}-bin"
    (project / "tools" / "cdktf" / "node_modules" / ".bin").mkdir(parents=True)
    bin_dir.mkdir()
    for path, text in ((bin_dir / "terraform", FAKE_TERRAFORM), (bin_dir / "python", FAKE_PYTHON),
                       (project / "tools" / "cdktf" / "node_modules" / ".bin" / "cdktf", FAKE_CDKTF)):  # fmt: skip
        path.write_text(text)
        path.chmod(stat.S_IRWXU)
    calls = tmp_path / f"{name}-calls.txt"
    env = {
        **subprocess_environment(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(calls),
        "DEPLOYED": "1" if case.deployed else "",
        "STATE_FAILS": "1" if case.state_fails else "",
        "CURRENT_TAG": case.current,
        "MIGRATE_EXIT": str(case.migrate_exit),
        "AUTO_APPROVE": "1",
        "SKIP_SYNTH": "" if name == "ok" else "1",
    }
    command = ["bash", "scripts/terraform.sh", case.action, "prod", "v1.2.4"]
    return subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), calls


Runs = dict[str, tuple[subprocess.CompletedProcess[str], list[str]]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The cases at once (only "ok" synthesizes the stacks, about 2 s)."""
    base = tmp_path_factory.mktemp("release")
    started = {name: start(base, name, case) for name, case in CASES.items()}
    results = {}
    for name, (process, calls) in started.items():
        stdout, stderr = process.communicate(timeout=300)
        completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        results[name] = (completed, calls.read_text().splitlines() if calls.exists() else [])
    return results


FOLDER = "-chdir=cdktf.out/stacks/wallet-prod"


INIT = f"terraform {FOLDER} init -input=false"
STATE = f"terraform {FOLDER} state list"
FIRST_DEPLOY = [
    f"terraform {FOLDER} apply -input=false -auto-approve -var image_tag=v1.2.4 -var bootstrap=true",
    "migrate wallet-prod",
    f"terraform {FOLDER} apply -input=false -auto-approve -var image_tag=v1.2.4",
]


def test_migrations_run_between_the_two_applies(runs: Runs) -> None:
    result, calls = runs["ok"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == [
        INIT,
        STATE,
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


@pytest.mark.parametrize("case", ["new", "deploy-new"])
def test_the_first_deploy_starts_the_service_empty_and_migrates_before_it_gets_tasks(runs: Runs, case: str) -> None:
    """By release and by deploy alike: a stack without state is bootstrapped."""
    result, calls = runs[case]
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == [INIT, STATE, *FIRST_DEPLOY]


def test_deploy_of_a_deployed_stack_is_cdktf_deploy(runs: Runs) -> None:
    result, calls = runs["deploy"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == [INIT, STATE, "cdktf deploy wallet-prod --var image_tag=v1.2.4"]


def test_a_stack_with_state_is_never_bootstrapped(runs: Runs) -> None:
    """State without the service_image_tag output (deployed before it existed): no guess that could scale it down."""
    result, calls = runs["deployed-without-output"]
    assert result.returncode == 2
    assert calls == [INIT, STATE, f"terraform {FOLDER} output -raw service_image_tag"]
    assert result.stderr.splitlines()[-1] == (
        "error: service_image_tag: wallet-prod has state but no such output; run `pipenv run deploy prod <the tag it runs>` once"
    )


def test_a_state_that_cannot_be_read_stops_everything(runs: Runs) -> None:
    """Not mistaken for a stack without state (whose first deploy would start the service without tasks)."""
    result, calls = runs["state-unreadable"]
    assert result.returncode == 1
    assert calls == [INIT, STATE]


def test_no_plan_or_apply_while_the_backends_have_no_bucket(runs: Runs) -> None:
    result, calls = runs["no-state-bucket"]
    assert result.returncode == 2
    assert calls == []
    assert result.stderr.startswith("error: state_bucket: not set, so the environment stacks' S3 backends have no bucket;")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["apply", "prod", "v1"], "error: action: 'apply' is not valid; expected plan, deploy or release (usage: pipenv run "
         "{plan|deploy|release} <environment> <image tag>   (environments: python -m stacks.cli environments))"),
        (["plan", "sandbox", "v1"], "error: environment: 'sandbox' is not valid; expected one of dev, staging, prod"),
        (["deploy", "prod", "v1 beta"], "error: image_tag: 'v1 beta' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, "
         "not starting with . or -"),
        (["release", "prod", ""], "error: image_tag: '' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, "
         "not starting with . or -"),
    ],
    ids=["action", "environment", "tag", "empty-tag"],
)  # fmt: skip
def test_bad_arguments_are_one_line_before_anything_runs(argv: list[str], message: str) -> None:
    result = subprocess.run(
        ["bash", "scripts/terraform.sh", *argv], cwd=PROJECT_DIR, env=subprocess_environment(), capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")
