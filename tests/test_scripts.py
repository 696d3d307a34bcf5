"""The branching of scripts/terraform.sh and scripts/setup_tools.sh, in seconds, without AWS and without the emulated
account: the real scripts run with `bash` in a temporary project copy, with stand-ins for the commands they call
(`terraform`, `npm`, the cdktf CLI of tools/cdktf, and `python` for the release modules, `python main.py`, venv and
pip). Each stand-in records its call as one line and answers as the test says (exit status, standard output). The
script's resource-count one-liner (`python -c`) runs on the real interpreter; `python -m stacks.cli ...` answers what
the real module answered, asked once per module in a copy of stacks/ with a state bucket set (three real runs per
script run would be two thirds of this file's time).

What is tested here is only what the scripts decide from those answers: which commands run, in which order, with which
flags, and with which exit status the script ends. Whether Terraform and AWS accept those commands is proven by the
emulated-account stage (tests/test_emulated_account.py), not here. The refusals before anything runs (bad arguments,
no state bucket, no credentials) are tests/test_release.py's.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR, subprocess_environment

STAND_IN = r"""#!/usr/bin/env bash
# A stand-in for a command the scripts call (tests/test_scripts.py). It appends its call to $STAND_IN_LOG as one
# shell-quoted line (a stubbed python's standard input, when there is any, after a '<<<' word), then answers by the
# first line of $STAND_IN_RULES whose glob matches its command line: <glob> TAB <exit status> TAB <stdout, printf %b>.
# No rule: exit 0, no output. `python` on the PATH runs the real interpreter for everything but the stubbed modules.
set -u
case $0 in "$STAND_IN_DIR"/*) name=${0##*/} ;; *) name=$0 ;; esac
line=$(printf '%q ' "$name" "$@")
if [ "$name" = python ]; then
  case "${1:-} ${2:-}" in
    "-m release."* | "-m stacks.cli" | "main.py "* | "-m venv" | "-m pip") ;;
    *) echo "$line" >>"$STAND_IN_LOG"; exec "$REAL_PYTHON" "$@" ;;
  esac
fi
case $name in
  python | */python)
    input=$(cat)  # also waits for the left side of a pipe to end (and record its call) first
    if [ -n "$input" ]; then line+=$(printf '%q %q' '<<<' "$input"); fi ;;
esac
echo "$line" >>"$STAND_IN_LOG"
status=0 output=
while IFS=$'\t' read -r pattern answer_status answer_output; do
  # shellcheck disable=SC2053  # the rule is a glob
  if [[ "$name $*" == $pattern ]]; then status=$answer_status output=$answer_output; break; fi
done <"$STAND_IN_RULES"
# What the real commands leave behind: a plan file (not when the plan fails), a virtual environment's interpreter.
if [ "$name" = terraform ] && [ "$status" != 1 ]; then
  chdir=. out=
  for argument in "$@"; do
    case $argument in -chdir=*) chdir=${argument#-chdir=} ;; -out=*) out=${argument#-out=} ;; esac
  done
  if [ -n "$out" ]; then : >"$chdir/$out"; fi
fi
if [ "$name" = python ] && [ "${1:-} ${2:-}" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
printf '%b' "$output"
if [ "$status" != 0 ]; then echo "Error: stand-in $name $*: exit $status" >&2; fi
exit "$status"
"""

Call = tuple[str, ...]
Rule = tuple[str, int, str]
"""A stand-in's answer: (glob of its command line, exit status, standard output)."""

TERRAFORM = ("terraform", "-chdir=cdktf.out/stacks/wallet-prod")
APPLY = (*TERRAFORM, "apply", "-input=false")
CDKTF = "tools/cdktf/node_modules/.bin/cdktf"
STATE_BUCKET = "wallet-service-terraform-state-123456789012-eu-west-1"


def state(resources: int) -> str:
    """`terraform state pull` of a stack with ``resources`` resources (0: what a destroy leaves)."""
    document = {
        "version": 4, "terraform_version": "1.15.0", "serial": 7, "lineage": "3f1c2a9e-0000-4000-8000-000000000000", "outputs": {},
        "resources": [
            {"mode": "managed", "type": "aws_s3_bucket", "name": f"bucket_{index}", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"schema_version": 0, "attributes": {"id": f"bucket-{index}"}}]}
            for index in range(resources)
        ],
    }  # fmt: skip
    return json.dumps(document)


DEPLOYED = state(3)
SHOW_JSON = json.dumps({"format_version": "1.2", "resource_drift": [], "resource_changes": []})
DEFAULT_RULES: list[Rule] = [
    ("terraform * state pull", 0, DEPLOYED + "\n"),
    ("terraform * output -raw service_image_tag", 0, "v1.2.3"),  # -raw: no newline
    ("terraform * show -json drift.tfplan", 0, SHOW_JSON + "\n"),
    ("python -m release.deployment launch-type", 0, "0\n"),
    ("python -m release.deployment switching *", 0, "0\n"),
]
"""A deployed stack at v1.2.3 in the capacity-provider form, not switching from rolling (after a test's own rules)."""


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str
    argv: tuple[str, ...]
    """The script's arguments: action, environment, tag."""
    calls: list[Call]
    """Every call of a stand-in, in order; not the resource-count one-liner (`python -c`, on the real interpreter):
    what it decided shows in the calls after it."""


def install_stand_in(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STAND_IN)
    path.chmod(0o755)


@dataclass(frozen=True)
class Project:
    root: Path
    answers: list[Rule]
    """What the stand-ins answer unless a test says otherwise: the real `python -m stacks.cli`'s answers."""


def run(project: Project, script: str, *argv: str, rules: Sequence[Rule] = (), auto_approve: str | None = None) -> Run:
    """Runs ``bash scripts/<script> <argv>`` in ``project`` with the stand-ins of ``<root>/../bin`` first on the PATH."""
    base = project.root.parent
    stand_ins, log, rules_file = base / "bin", base / "calls.log", base / "rules.tsv"
    for name in ("terraform", "python", "npm"):
        install_stand_in(stand_ins / name)
    log.write_text("")
    lines = []
    for pattern, status, output in [*rules, *project.answers, *DEFAULT_RULES]:
        assert "\t" not in pattern + output and "\n" not in pattern
        lines.append(f"{pattern}\t{status}\t{output.replace(chr(92), chr(92) * 2).replace(chr(10), chr(92) + 'n')}\n")
    rules_file.write_text("".join(lines))
    env = {key: value for key, value in subprocess_environment().items() if key != "AUTO_APPROVE"}
    env |= {
        "PATH": f"{stand_ins}{os.pathsep}{env['PATH']}", "STAND_IN_DIR": str(stand_ins), "STAND_IN_LOG": str(log),
        "STAND_IN_RULES": str(rules_file), "REAL_PYTHON": sys.executable,
    }  # fmt: skip
    if auto_approve is not None:
        env["AUTO_APPROVE"] = auto_approve
    result = subprocess.run(
        ["bash", f"scripts/{script}", *argv], cwd=project.root, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    calls = [tuple(shlex.split(line)) for line in log.read_text().splitlines()]
    return Run(result.returncode, result.stdout, result.stderr, argv, [call for call in calls if call[:2] != ("python", "-c")])


@pytest.fixture(scope="module")
def stacks_cli(tmp_path_factory: pytest.TempPathFactory) -> list[Rule]:
    """The real `python -m stacks.cli`'s answers to what scripts/terraform.sh asks of it here, in a copy of stacks/
    whose cdktf.json sets a state bucket."""
    root = tmp_path_factory.mktemp("stacks-cli")
    shutil.copytree(PROJECT_DIR / "stacks", root / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    context = {"wallet": {"state_bucket": STATE_BUCKET}, "wallet-prod": {"region": "eu-west-1"}}
    (root / "cdktf.json").write_text(json.dumps({"language": "python", "app": "pipenv run python main.py", "context": context}))
    answers = []
    for argv in (["stack", "prod"], ["image-tag", "v1.2.4"], ["state-bucket"], ["role", "wallet-prod", "plan"]):
        command = [sys.executable, "-m", "stacks.cli", *argv]
        result = subprocess.run(command, cwd=root, env=subprocess_environment(), capture_output=True, text=True, check=False, timeout=60)
        answers.append((shlex.join(["python", "-m", "stacks.cli", *argv]), result.returncode, result.stdout))
    assert [answer[1:] for answer in answers] == [(0, "wallet-prod\n"), (0, ""), (0, STATE_BUCKET + "\n"), (0, "")]
    return answers


@pytest.fixture
def project(tmp_path: Path, stacks_cli: list[Rule]) -> Project:
    """What scripts/terraform.sh needs of the project to get to Terraform, stacks.cli's answers aside: itself, the
    folder `python main.py` would have written, and a stand-in for the cdktf CLI of tools/cdktf."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "scripts" / "terraform.sh", root / "scripts")
    (root / "cdktf.out" / "stacks" / "wallet-prod").mkdir(parents=True)
    install_stand_in(root / CDKTF)
    return Project(root, stacks_cli)


def prelude(tag: str | None = "v1.2.4", role: str = "deploy", init: tuple[str, ...] = ()) -> list[Call]:
    """What every action of `prod` runs up to `terraform init`: the stack, the tag's check (when one is given), the
    state bucket's, the credentials' as the action's role (plan and drift: the plan role), the plan role's ARN (none
    without an account of its own), synthesis, init."""
    return [
        ("python", "-m", "stacks.cli", "stack", "prod"),
        *([("python", "-m", "stacks.cli", "image-tag", tag)] if tag is not None else []),
        ("python", "-m", "stacks.cli", "state-bucket"),
        ("python", "-m", "release.credentials", "wallet-prod", "--as", role),
        ("python", "-m", "stacks.cli", "role", "wallet-prod", "plan"),
        ("python", "main.py"),
        (*TERRAFORM, "init", "-input=false", *init),
    ]


def after_init(result: Run, tag: str | None = "v1.2.4", init: tuple[str, ...] = ()) -> list[Call]:
    """The calls after `terraform init`, once the ones before it are the prelude."""
    expected = prelude(tag, "plan" if result.argv[0] in ("plan", "drift") else "deploy", init)
    assert result.calls[: len(expected)] == expected, result.stderr
    return result.calls[len(expected) :]


STATE_PULL: Call = (*TERRAFORM, "state", "pull")
OUTPUT_TAG: Call = (*TERRAFORM, "output", "-raw", "service_image_tag")
LAUNCH_TYPE: Call = ("python", "-m", "release.deployment", "launch-type", "<<<", DEPLOYED)
SWITCHING: Call = ("python", "-m", "release.deployment", "switching", "wallet-prod", "<<<", DEPLOYED)
MIGRATE: Call = ("python", "-m", "release.migrate", "wallet-prod")
STATUS: Call = ("python", "-m", "release.deployment", "status", "wallet-prod")
SWITCHING_RULE: Rule = ("python -m release.deployment switching *", 0, "1\n")


# 1. AUTO_APPROVE


def first_deploy(approve: tuple[str, ...]) -> list[Call]:
    return [
        STATE_PULL,
        (*APPLY, *approve, "-var", "image_tag=v1.2.4", "-var", "bootstrap=true"),
        MIGRATE,
        (*APPLY, *approve, "-var", "image_tag=v1.2.4"),
    ]


def deploy_switching(approve: tuple[str, ...]) -> list[Call]:
    cdktf_approve = ("--auto-approve",) if approve else ()
    return [
        STATE_PULL, OUTPUT_TAG, LAUNCH_TYPE, SWITCHING,
        (*APPLY, *approve, "-var", "image_tag=v1.2.3", "-var", "keep_rolling=true"),
        (CDKTF, "deploy", "wallet-prod", *cdktf_approve, "--var", "image_tag=v1.2.4"),
    ]  # fmt: skip


def release_switching(approve: tuple[str, ...]) -> list[Call]:
    return [
        STATE_PULL, OUTPUT_TAG, LAUNCH_TYPE, SWITCHING,
        (*APPLY, *approve, "-var", "image_tag=v1.2.3", "-var", "keep_rolling=true"),
        (*APPLY, *approve, "-var", "image_tag=v1.2.3", "-var", "migration_image_tag=v1.2.4"),
        MIGRATE,
        (*APPLY, *approve, "-var", "image_tag=v1.2.4"),
    ]  # fmt: skip


@pytest.mark.parametrize("auto_approve", [None, "0", "1"], ids=["unset", "0", "1"])
@pytest.mark.parametrize(
    ("action", "rules", "expected"),
    [
        ("deploy", [("terraform * state pull", 0, "")], first_deploy),
        ("deploy", [SWITCHING_RULE], deploy_switching),
        ("release", [SWITCHING_RULE], release_switching),
    ],
    ids=["first-deploy", "deploy-switching", "release-switching"],
)
def test_only_auto_approve_1_applies_without_asking(
    project: Project, auto_approve: str | None, action: str, rules: list[Rule], expected: Callable[[tuple[str, ...]], list[Call]]
) -> None:
    """Every apply (the bootstrap, the switch's, the release's two, the first deploy's last) gets Terraform's
    `-auto-approve`, and `cdktf deploy` its `--auto-approve`, for AUTO_APPROVE=1 only: unset or 0, each asks."""
    result = run(project, "terraform.sh", action, "prod", "v1.2.4", rules=rules, auto_approve=auto_approve)
    approve = ("-auto-approve",) if auto_approve == "1" else ()
    assert (result.status, after_init(result)) == (0, expected(approve))


# 2. The first deploy


@pytest.mark.parametrize("action", ["deploy", "release"])
@pytest.mark.parametrize("pulled", ["", state(0)], ids=["no-state", "destroyed"])
def test_a_stack_without_resources_is_a_first_deploy(project: Project, action: str, pulled: str) -> None:
    """No state at all (`state pull` prints nothing) and the state a destroy leaves (`"resources": []`) both bootstrap:
    the service without tasks, the migrations, then the tasks. No tag of the state is asked for, nor anything of the
    service: there is none."""
    result = run(project, "terraform.sh", action, "prod", "v1.2.4", rules=[("terraform * state pull", 0, pulled + "\n" if pulled else "")])
    assert (result.status, after_init(result)) == (0, first_deploy(()))
    assert result.stdout.startswith("first deploy of wallet-prod at v1.2.4\n1/3 ")


# 3. drift


def drift_plan(tag: str) -> Call:
    return (
        *TERRAFORM, "plan", "-input=false", "-lock=false", "-detailed-exitcode", "-no-color", "-out=drift.tfplan", "-var", f"image_tag={tag}",
    )  # fmt: skip


DRIFT_SUMMARY: Call = ("python", "-m", "release.drift", "wallet-prod", "<<<", SHOW_JSON)


@pytest.mark.parametrize(
    ("plan_status", "verdict"),
    [(0, 0), (2, 0), (2, 2), (2, 1)],
    ids=["no-changes", "aws-own-changes-only", "drifted", "summary-fails"],
)
def test_drift_is_the_summarys_verdict_at_the_tag_the_stack_runs(project: Project, plan_status: int, verdict: int) -> None:
    """Without a tag, the drift plan runs at the tag of the stack's service_image_tag output; whatever the plan's
    -detailed-exitcode (0 or 2), release/drift.py reads the plan and its exit status is the script's. The plan file,
    which holds the state's values, is removed afterwards."""
    result = run(project, "terraform.sh", "drift", "prod", rules=[
        ("terraform * plan *", plan_status, ""), ("python -m release.drift *", verdict, ""),
    ])  # fmt: skip
    assert (result.status, after_init(result, None)) == (verdict, [
        OUTPUT_TAG, drift_plan("v1.2.3"), (*TERRAFORM, "show", "-json", "drift.tfplan"), DRIFT_SUMMARY,
    ])  # fmt: skip
    assert result.stdout == "drift check of wallet-prod at v1.2.3 (the tag it runs: its service_image_tag output)\n"
    assert not (project.root / "cdktf.out" / "stacks" / "wallet-prod" / "drift.tfplan").exists()


def test_drift_at_a_given_tag_does_not_read_the_output(project: Project) -> None:
    result = run(project, "terraform.sh", "drift", "prod", "v1.2.4", rules=[("terraform * plan *", 2, "")])
    assert (result.status, after_init(result)) == (0, [drift_plan("v1.2.4"), (*TERRAFORM, "show", "-json", "drift.tfplan"), DRIFT_SUMMARY])
    assert result.stdout == "drift check of wallet-prod at v1.2.4 (given)\n"
    assert not (project.root / "cdktf.out" / "stacks" / "wallet-prod" / "drift.tfplan").exists()


def test_a_drift_plan_that_fails_is_exit_1_without_a_summary(project: Project) -> None:
    """-detailed-exitcode's 1 is an error, not drift: the check could not run."""
    result = run(project, "terraform.sh", "drift", "prod", rules=[("terraform * plan *", 1, "")])
    assert (result.status, after_init(result, None)) == (1, [OUTPUT_TAG, drift_plan("v1.2.3")])


@pytest.mark.parametrize("output", [(1, ""), (0, "")], ids=["no-output", "empty-output"])
def test_drift_without_the_tag_output_says_so_in_one_line(project: Project, output: tuple[int, str]) -> None:
    result = run(project, "terraform.sh", "drift", "prod", rules=[("terraform * output -raw service_image_tag", *output)])
    assert (result.status, after_init(result, None)) == (1, [OUTPUT_TAG])
    assert result.stderr == (
        "error: service_image_tag: wallet-prod has no such output in its state (not deployed yet, or deployed before the output "
        "existed); give the tag it runs: pipenv run drift prod <image tag>\n"
    )


# 4.-5. Refusals before any apply


NO_OUTPUT: Rule = ("terraform * output -raw service_image_tag", 1, "")


def test_a_release_without_the_recorded_tag_is_refused(project: Project) -> None:
    """A state without the service_image_tag output: the release's first apply would need the current tag; a guess
    could scale the running service down."""
    result = run(project, "terraform.sh", "release", "prod", "v1.2.4", rules=[NO_OUTPUT])
    assert (result.status, after_init(result)) == (2, [STATE_PULL, OUTPUT_TAG])
    assert result.stderr == (
        "error: service_image_tag: wallet-prod has state but no such output; run `pipenv run deploy prod <the tag it runs>` once\n"
    )


@pytest.mark.parametrize("action", ["deploy", "release"])
def test_a_service_in_the_launch_type_form_is_refused(project: Project, action: str) -> None:
    result = run(project, "terraform.sh", action, "prod", "v1.2.4", rules=[("python -m release.deployment launch-type", 0, "1\n")])
    assert (result.status, after_init(result)) == (2, [STATE_PULL, OUTPUT_TAG, LAUNCH_TYPE])
    assert result.stderr.startswith("error: wallet-prod: its service still has the launch type FARGATE, ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("failing", "expected"),
    [("launch-type", [LAUNCH_TYPE]), ("switching *", [LAUNCH_TYPE, SWITCHING])],
    ids=["launch-type", "switching"],
)
def test_a_check_of_the_service_that_cannot_run_stops_before_any_apply(project: Project, failing: str, expected: list[Call]) -> None:
    """`python -m release.deployment launch-type` or `switching` failing (a state it cannot read, a missing synthesis,
    a module that does not import): its error and exit status, never an apply on an unchecked answer."""
    result = run(project, "terraform.sh", "release", "prod", "v1.2.4", rules=[(f"python -m release.deployment {failing}", 2, "")])
    assert (result.status, after_init(result)) == (2, [STATE_PULL, OUTPUT_TAG, *expected])


# 6. The switch from the rolling strategy


def test_a_deploy_without_a_recorded_tag_switches_at_the_deploys_tag(project: Project) -> None:
    """A deploy (unlike a release) goes on without the service_image_tag output; the switch's first apply then runs
    the deploy's tag."""
    result = run(project, "terraform.sh", "deploy", "prod", "v1.2.4", rules=[NO_OUTPUT, SWITCHING_RULE])
    assert (result.status, after_init(result)) == (0, [
        STATE_PULL, OUTPUT_TAG, LAUNCH_TYPE, SWITCHING,
        (*APPLY, "-var", "image_tag=v1.2.4", "-var", "keep_rolling=true"),
        (CDKTF, "deploy", "wallet-prod", "--var", "image_tag=v1.2.4"),
    ])  # fmt: skip
    switch = "switch of wallet-prod from the rolling strategy: 1/2 the load balancer's advanced configuration, still rolling, at v1.2.4\n"
    assert switch in result.stdout


def test_a_deploy_without_a_recorded_tag_and_no_switch_is_cdktf_deploy_alone(project: Project) -> None:
    result = run(project, "terraform.sh", "deploy", "prod", "v1.2.4", rules=[NO_OUTPUT])
    assert (result.status, after_init(result)) == (0, [
        STATE_PULL, OUTPUT_TAG, LAUNCH_TYPE, SWITCHING, (CDKTF, "deploy", "wallet-prod", "--var", "image_tag=v1.2.4"),
    ])  # fmt: skip


# 7. The release order


def test_a_release_moves_the_migration_task_then_migrates_then_moves_the_service(project: Project) -> None:
    result = run(project, "terraform.sh", "release", "prod", "v1.2.4")
    assert (result.status, after_init(result)) == (0, [
        STATE_PULL, OUTPUT_TAG, LAUNCH_TYPE, SWITCHING,
        (*APPLY, "-var", "image_tag=v1.2.3", "-var", "migration_image_tag=v1.2.4"),
        MIGRATE,
        (*APPLY, "-var", "image_tag=v1.2.4"),
    ])  # fmt: skip
    assert result.stdout.startswith("release wallet-prod: v1.2.3 -> v1.2.4\n")


@pytest.mark.parametrize(
    ("action", "rules", "before"),
    [
        ("release", [], (*APPLY, "-var", "image_tag=v1.2.3", "-var", "migration_image_tag=v1.2.4")),
        ("deploy", [("terraform * state pull", 0, "")], (*APPLY, "-var", "image_tag=v1.2.4", "-var", "bootstrap=true")),
    ],
    ids=["release", "first-deploy"],
)
def test_a_failed_migration_stops_before_the_service_moves(project: Project, action: str, rules: list[Rule], before: Call) -> None:
    """The current version keeps serving (a release), or the service stays without tasks (a first deploy); the
    migration's exit status is the script's, and it is no deployment of the service to report on."""
    result = run(project, "terraform.sh", action, "prod", "v1.2.4", rules=[("python -m release.migrate *", 1, ""), *rules])
    assert (result.status, after_init(result)[-2:]) == (1, [before, MIGRATE])


# 8. A failed apply of the service


@pytest.mark.parametrize(
    ("action", "rules", "failing", "status_answer"),
    [
        ("deploy", [("terraform * state pull", 0, "")], (*APPLY, "-var", "image_tag=v1.2.4"), 0),
        ("release", [], (*APPLY, "-var", "image_tag=v1.2.3", "-var", "migration_image_tag=v1.2.4"), 0),
        ("release", [], (*APPLY, "-var", "image_tag=v1.2.4"), 0),
        ("release", [], (*APPLY, "-var", "image_tag=v1.2.4"), 1),
        ("deploy", [], (CDKTF, "deploy", "wallet-prod", "--var", "image_tag=v1.2.4"), 0),
        ("deploy", [SWITCHING_RULE], (*APPLY, "-var", "image_tag=v1.2.3", "-var", "keep_rolling=true"), 0),
    ],
    ids=["first-deploy", "release-migration-task", "release-service", "release-service-status-fails", "cdktf-deploy", "switch"],
)
def test_a_failed_service_apply_reports_the_deployment_and_keeps_its_status(
    project: Project, action: str, rules: list[Rule], failing: Call, status_answer: int
) -> None:
    """Whatever `python -m release.deployment status` answers (its own failure included), the script ends with the
    apply's exit status (3 here, to tell it from the report's) right after the report."""
    fail: Rule = (" ".join(failing), 3, "")  # the whole command line: the glob matches this call only
    rules = [fail, ("python -m release.deployment status *", status_answer, ""), *rules]
    result = run(project, "terraform.sh", action, "prod", "v1.2.4", rules=rules)
    calls = after_init(result)
    assert (result.status, calls[-2:], calls.count(failing)) == (3, [failing, STATUS], 1)


def test_a_failed_bootstrap_apply_stops_without_a_deployment_report(project: Project) -> None:
    """The bootstrap's apply starts no task: no deployment to report on; no migration either."""
    rules: list[Rule] = [("terraform * state pull", 0, ""), ("terraform * apply * bootstrap=true", 1, "")]
    result = run(project, "terraform.sh", "deploy", "prod", "v1.2.4", rules=rules)
    assert (result.status, after_init(result)) == (1, [STATE_PULL, (*APPLY, "-var", "image_tag=v1.2.4", "-var", "bootstrap=true")])


# 9. plan


@pytest.mark.parametrize("status", [0, 1])
def test_plan_is_terraform_plan_at_the_tag_with_its_exit_status(project: Project, status: int) -> None:
    result = run(project, "terraform.sh", "plan", "prod", "v1.2.4", rules=[("terraform * plan *", status, "")])
    assert (result.status, after_init(result)) == (status, [(*TERRAFORM, "plan", "-input=false", "-var", "image_tag=v1.2.4")])


# 10. an environment in an account of its own (docs/accounts.md)

PLAN_ROLE = "arn:aws:iam::222222222222:role/wallet-service/wallet-service-plan-prod"
ACCOUNT_RULES: list[Rule] = [
    ("python -m stacks.cli role wallet-prod plan", 0, PLAN_ROLE + "\n"),
    ("python -m release.credentials wallet-prod --as *", 0, "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nunset AWS_PROFILE\n"),  # discarded
]
PLAN_BACKEND = (
    'assume_role = {\n  role_arn     = "arn:aws:iam::222222222222:role/wallet-service/wallet-service-plan-prod"\n'
    '  session_name = "wallet-prod-terraform"\n}\n'
)


def test_in_its_own_account_a_plan_acts_as_the_plan_role_without_the_lock(project: Project) -> None:
    result = run(project, "terraform.sh", "plan", "prod", "v1.2.4", rules=ACCOUNT_RULES)
    calls = after_init(result, init=("-reconfigure", "-backend-config=plan.s3.tfbackend"))
    assert (result.status, calls) == (0, [
        (*TERRAFORM, "plan", "-input=false", "-lock=false", "-var", f"aws_role_arn={PLAN_ROLE}", "-var", "image_tag=v1.2.4"),
    ])  # fmt: skip
    assert (project.root / "cdktf.out/stacks/wallet-prod/plan.s3.tfbackend").read_text() == PLAN_BACKEND


def test_in_its_own_account_the_drift_check_plans_as_the_plan_role(project: Project) -> None:
    result = run(project, "terraform.sh", "drift", "prod", "v1.2.4", rules=ACCOUNT_RULES)
    calls = after_init(result, init=("-reconfigure", "-backend-config=plan.s3.tfbackend"))
    assert calls[0] == (*drift_plan("v1.2.4")[:-2], "-var", f"aws_role_arn={PLAN_ROLE}", "-var", "image_tag=v1.2.4")


def test_in_its_own_account_a_deploy_keeps_the_stacks_own_backend_and_role(project: Project) -> None:
    """The deploy role's backend and provider role are the stack's JSON: no backend file, no role variable."""
    result = run(project, "terraform.sh", "deploy", "prod", "v1.2.4", rules=ACCOUNT_RULES, auto_approve="1")
    assert result.status == 0 and ("python", "-m", "release.credentials", "wallet-prod", "--as", "deploy") in result.calls
    assert not any("aws_role_arn" in " ".join(call) for call in result.calls)
    assert not (project.root / "cdktf.out/stacks/wallet-prod/plan.s3.tfbackend").exists()


def test_a_role_that_cannot_be_assumed_stops_before_synthesis(project: Project) -> None:
    result = run(project, "terraform.sh", "deploy", "prod", "v1.2.4", rules=[("python -m release.credentials *", 2, "")])
    assert result.status == 2 and result.calls[-1] == ("python", "-m", "release.credentials", "wallet-prod", "--as", "deploy")


# 11. scripts/setup_tools.sh


NPM_CI: Call = ("npm", "ci", "--prefix", "tools/cdktf", "--no-audit", "--no-fund", "--ignore-scripts")
PIP_INSTALL: Call = (
    "security/.venv/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--require-hashes", "--no-deps",
    "-r", "security/requirements.txt",
)  # fmt: skip


@pytest.fixture
def tools_project(tmp_path: Path) -> Project:
    """What scripts/setup_tools.sh reads: itself, the cdktf CLI's package files and checkov's requirements."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT_DIR / "scripts", root / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "tools" / "cdktf").mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PROJECT_DIR / "tools" / "cdktf" / name, root / "tools" / "cdktf" / name)
    (root / "security").mkdir()
    shutil.copy(PROJECT_DIR / "security" / "requirements.txt", root / "security")
    return Project(root, [])


def test_setup_cli_creates_checkovs_environment_when_absent(tools_project: Project) -> None:
    result = run(tools_project, "setup_tools.sh")
    assert (result.status, result.calls) == (0, [NPM_CI, ("python", "-m", "venv", "security/.venv"), PIP_INSTALL])


def test_setup_cli_reuses_checkovs_environment(tools_project: Project) -> None:
    install_stand_in(tools_project.root / "security" / ".venv" / "bin" / "python")
    result = run(tools_project, "setup_tools.sh")
    assert (result.status, result.calls) == (0, [NPM_CI, PIP_INSTALL])


def test_setup_cli_cdktf_installs_the_cli_alone(tools_project: Project) -> None:
    result = run(tools_project, "setup_tools.sh", "cdktf")
    assert (result.status, result.calls) == (0, [NPM_CI])
    assert not (tools_project.root / "security" / ".venv").exists()


@pytest.mark.parametrize("argument", ["checkov", "--help"])
def test_setup_cli_refuses_another_argument_before_anything_runs(tools_project: Project, argument: str) -> None:
    result = run(tools_project, "setup_tools.sh", argument)
    assert (result.status, result.stdout, result.stderr, result.calls) == (
        2, "", "usage: pipenv run setup-cli [cdktf]   (cdktf: the cdktf CLI only, no scanner)\n", [],
    )  # fmt: skip


@pytest.mark.parametrize("argument", [[], ["cdktf"]], ids=["all", "cdktf"])
def test_setup_cli_stops_when_npm_fails(tools_project: Project, argument: list[str]) -> None:
    result = run(tools_project, "setup_tools.sh", *argument, rules=[("npm ci *", 1, "")])
    assert (result.status, result.calls) == (1, [NPM_CI])
