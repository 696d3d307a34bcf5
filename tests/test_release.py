"""The release script's refusals that come before Terraform runs: bad arguments, and no state bucket set yet. What it
does with Terraform (the first deploy, the release order, a failed migration, a state that cannot be read, a state
without the service_image_tag output, `cdktf deploy` of a deployed stack) runs for real in the emulated AWS account:
tests/test_emulated_account.py; every branch of it, with stand-ins for Terraform and the release modules, in seconds:
tests/test_scripts.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR, copy_project, subprocess_environment
from tests.expected import stack_choices


def test_no_plan_or_apply_while_the_backends_have_no_bucket(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", {})  # the defaults: no state_bucket, no single allowed account
    shutil.copytree(PROJECT_DIR / "scripts", project / "scripts")
    for action, *tag in (("plan", "v1.2.4"), ("deploy", "v1.2.4"), ("release", "v1.2.4"), ("drift",)):  # drift: tag optional
        result = subprocess.run(
            ["bash", "scripts/terraform.sh", action, "prod", *tag], cwd=project, env=subprocess_environment(), capture_output=True,
            text=True, check=False, timeout=120,
        )  # fmt: skip
        assert result.returncode == 2, action
        assert result.stderr.startswith("error: state_bucket: not set, so the environment stacks' S3 backends have no bucket;")
        assert len(result.stderr.splitlines()) == 1
        assert not (project / "cdktf.out").exists()  # nothing synthesized, no Terraform run


USAGE = (
    "usage: pipenv run {plan|deploy|release|drift} <environment> <image tag>   (drift: the tag the stack runs when none is "
    "given; an environment as dev or wallet-dev: python -m stacks.cli environments)"
)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["apply", "prod", "v1"], f"error: action: 'apply' is not valid; expected plan, deploy, release or drift ({USAGE})"),
        (["plan", "sandbox", "v1"], f"error: stack: 'sandbox' is not valid; expected one of {stack_choices()}"),
        (["deploy", "prod", "v1 beta"], "error: image_tag: 'v1 beta' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, "
         "not starting with . or -"),
        (["release", "prod", ""], USAGE),  # a missing argument: the usage, not a complaint about ''
        (["plan", "prod"], USAGE),
        (["deploy"], USAGE),
        (["drift"], USAGE),
        (["drift", "prod", "v1 beta"], "error: image_tag: 'v1 beta' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, "
         "not starting with . or -"),
    ],
    ids=["action", "environment", "tag", "empty-tag", "no-tag", "no-environment", "drift-no-environment", "drift-tag"],
)  # fmt: skip
def test_bad_arguments_are_one_line_before_anything_runs(argv: list[str], message: str) -> None:
    result = subprocess.run(
        ["bash", "scripts/terraform.sh", *argv], cwd=PROJECT_DIR, env=subprocess_environment(), capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")


@pytest.mark.parametrize("name", ["prod", "wallet-prod"])
def test_an_environment_is_named_either_way(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """dev or wallet-dev, in every command: the scripts' stack lookup and the release scripts' selection."""
    from stacks import cli, config

    assert cli.main(["stack", name]) == 0
    assert capsys.readouterr().out == "wallet-prod\n"
    assert config.select(config.load({}), name).stack_name == "wallet-prod"


def test_the_projects_cdktf_does_not_phone_home(tmp_path: Path) -> None:
    """`pipenv run cdktf ...` (the Pipfile's entry) and the deploy's `cdktf deploy` (scripts/terraform.sh) run the CLI
    with CHECKPOINT_DISABLE (no telemetry to checkpoint-api.hashicorp.com, which prints a red getaddrinfo ENOTFOUND
    where there is no internet) and DISABLE_VERSION_CHECK (no `npm view cdktf-cli version`), whatever the caller's
    environment holds. Here the CLI is a stand-in that prints what it got."""
    cli = tmp_path / "tools" / "cdktf" / "node_modules" / ".bin" / "cdktf"
    cli.parent.mkdir(parents=True)
    cli.write_text(
        '#!/bin/sh\necho "CHECKPOINT_DISABLE=${CHECKPOINT_DISABLE-unset} DISABLE_VERSION_CHECK=${DISABLE_VERSION_CHECK-unset} $*"\n'
    )
    cli.chmod(0o755)
    env = {key: value for key, value in subprocess_environment().items() if key not in ("CHECKPOINT_DISABLE", "DISABLE_VERSION_CHECK")}
    result = subprocess.run(
        ["pipenv", "run", "cdktf", "diff", "wallet-dev"], cwd=tmp_path, env={**env, "PIPENV_PIPFILE": str(PROJECT_DIR / "Pipfile")},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "CHECKPOINT_DISABLE=1 DISABLE_VERSION_CHECK=1 diff wallet-dev\n"), result.stderr
    script = (PROJECT_DIR / "scripts" / "terraform.sh").read_text()
    [deploy] = [line.strip() for line in script.splitlines() if "node_modules/.bin/cdktf" in line]
    assert deploy.startswith("service_apply env CHECKPOINT_DISABLE=1 DISABLE_VERSION_CHECK=1 tools/cdktf/node_modules/.bin/cdktf deploy ")


NO_CREDENTIALS = {
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_EC2_METADATA_DISABLED": "true",  # no instance role either (and no second's wait for one)
}
"""An environment in which boto3's credential chain finds nothing (with every AWS_* variable of the caller removed)."""


def test_no_credentials_stop_every_action_before_synthesis(tmp_path: Path) -> None:
    """Terraform said it only after synthesizing every stack and `terraform init`: one line, exit 2, nothing written.
    The project copy holds what runs before synthesis (and main.py, which must not run)."""
    project = tmp_path / "project"
    for folder in ("scripts", "stacks", "release", "constructs_lib"):
        shutil.copytree(PROJECT_DIR / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_DIR / "main.py", project / "main.py")
    context = {"wallet": {"state_bucket": "wallet-service-terraform-state-123456789012-eu-west-1"}, "wallet-prod": {"region": "eu-west-1"}}
    (project / "cdktf.json").write_text(json.dumps({"language": "python", "app": "pipenv run python main.py", "context": context}))
    env = {key: value for key, value in subprocess_environment().items() if not key.startswith("AWS_")} | NO_CREDENTIALS
    for action in ("plan", "deploy", "release", "drift"):
        result = subprocess.run(
            ["bash", "scripts/terraform.sh", action, "prod", "v1.2.4"], cwd=project, env=env, capture_output=True, text=True,
            check=False, timeout=120,
        )  # fmt: skip
        assert (result.returncode, result.stdout, result.stderr) == (2, "", (
            "error: wallet-prod: credentials (eu-west-1): no AWS credentials (Unable to locate credentials); sign in (e.g. aws "
            "sso login, or set AWS_PROFILE) and run this again\n"
        )), action  # fmt: skip
        assert not (project / "cdktf.out").exists()
    # A profile that does not exist fails already in boto3's session, before any client: the same one line.
    result = subprocess.run(
        ["bash", "scripts/terraform.sh", "plan", "prod", "v1.2.4"], cwd=project, env={**env, "AWS_PROFILE": "payments"},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (2, (
        "error: wallet-prod: credentials (eu-west-1): no AWS credentials (The config profile (payments) could not be found); sign "
        "in (e.g. aws sso login, or set AWS_PROFILE) and run this again\n"
    ))  # fmt: skip
    assert not (project / "cdktf.out").exists()
