"""`pipenv run migrate`, without AWS: the ECS and CloudWatch Logs clients answer from botocore's Stubber, which also
checks every request against the API model (names and types of the parameters) and every answer against its shape."""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from release import migrate
from tests.expected import stack_choices

CLUSTER = "wallet-service-cluster-prod"
DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/wallet-service-migration-prod:7"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/wallet-service-cluster-prod/0123456789abcdef0123456789abcdef"
OUTPUTS = {
    "cluster_name": {"value": CLUSTER, "type": "string", "sensitive": False},
    "migration_task_definition_arn": {"value": DEFINITION, "type": "string", "sensitive": False},
    "private_subnet_ids": {
        "value": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"],
        "type": ["list", "string"],
        "sensitive": False,
    },
    "migration_security_group_id": {"value": "sg-0123456789abcdef0", "type": "string", "sensitive": False},
    "service_url": {"value": "https://example", "type": "string", "sensitive": False},
}
TARGET = migrate.Target.from_outputs("wallet-prod", OUTPUTS)
RUN_TASK = {
    "cluster": CLUSTER,
    "taskDefinition": DEFINITION,
    "count": 1,
    "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
    "startedBy": "pipenv-run-migrate",
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"],
            "securityGroups": ["sg-0123456789abcdef0"],
            "assignPublicIp": "DISABLED",
        }
    },
}
DESCRIBE = {"cluster": CLUSTER, "tasks": [TASK]}
LOG_OPTIONS = {"awslogs-group": "/aws/ecs/WalletMigrations/prod", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "wallet-service"}
STREAM = "wallet-service/wallet-service/0123456789abcdef0123456789abcdef"


class Aws:
    """Stubbed ECS and Logs clients; the test adds the answers in the order the command asks."""

    def __init__(self) -> None:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        self.ecs, self.logs = session.client("ecs"), session.client("logs")
        self.ecs_stub, self.logs_stub = Stubber(self.ecs), Stubber(self.logs)

    def started(self) -> None:
        self.ecs_stub.add_response("run_task", {"tasks": [{"taskArn": TASK, "lastStatus": "PROVISIONING"}], "failures": []}, RUN_TASK)

    def status(self, status: str, **task: Any) -> None:
        answer = {"tasks": [{"taskArn": TASK, "lastStatus": status, "taskDefinitionArn": DEFINITION, **task}], "failures": []}
        self.ecs_stub.add_response("describe_tasks", answer, DESCRIBE)

    def stopped(self, **task: Any) -> None:
        """The waiter's last check and the command's own read of the stopped task."""
        self.status("STOPPED", **task)
        self.status("STOPPED", **task)
        definition = {
            "containerDefinitions": [{"name": "wallet-service", "logConfiguration": {"logDriver": "awslogs", "options": LOG_OPTIONS}}]
        }
        self.ecs_stub.add_response("describe_task_definition", {"taskDefinition": definition}, {"taskDefinition": DEFINITION})

    def log(self, *messages: str) -> None:
        events = [{"timestamp": 1764300000000 + i, "message": m, "ingestionTime": 1764300000000 + i} for i, m in enumerate(messages)]
        params = {"logGroupName": "/aws/ecs/WalletMigrations/prod", "logStreamName": STREAM, "limit": 50, "startFromHead": False}
        self.logs_stub.add_response("get_log_events", {"events": events}, params)

    def run(self, timeout: int = 60) -> tuple[int, str]:
        out = io.StringIO()
        with self.ecs_stub, self.logs_stub:
            code = migrate.run(self.ecs, self.logs, TARGET, timeout_seconds=timeout, poll_seconds=0, tail=50, out=out)
            self.ecs_stub.assert_no_pending_responses()
            self.logs_stub.assert_no_pending_responses()
        return code, out.getvalue()


@pytest.fixture
def aws() -> Iterator[Aws]:
    yield Aws()


def test_a_successful_migration_exits_0_and_shows_its_log(aws: Aws) -> None:
    aws.started()
    aws.status("RUNNING")
    aws.stopped(
        stopCode="EssentialContainerExited",
        stoppedReason="Essential container in task exited",
        containers=[{"name": "wallet-service", "exitCode": 0, "lastStatus": "STOPPED"}],
    )
    aws.log("applying 0042_add_ledger_index", "3 migrations applied")
    code, out = aws.run()
    assert code == 0
    assert out.splitlines()[1:] == [
        "stopped: EssentialContainerExited: Essential container in task exited",
        "exit code: 0",
        f"last 2 log lines of /aws/ecs/WalletMigrations/prod {STREAM}:",
        "  applying 0042_add_ledger_index",
        "  3 migrations applied",
        "migrations applied",
    ]


def test_a_task_stopped_without_a_stop_code_or_reason_says_so(aws: Aws) -> None:
    """Both fields are optional in DescribeTasks (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html)."""
    aws.started()
    aws.stopped(containers=[{"name": "wallet-service", "exitCode": 0, "lastStatus": "STOPPED"}])
    aws.log("3 migrations applied")
    code, out = aws.run()
    assert code == 0
    assert out.splitlines()[1] == "stopped: no stop code or reason given"


def test_a_failing_migration_exits_1_with_its_exit_code_and_log(aws: Aws) -> None:
    aws.started()
    aws.stopped(
        stopCode="EssentialContainerExited",
        stoppedReason="Essential container in task exited",
        containers=[{"name": "wallet-service", "exitCode": 3, "lastStatus": "STOPPED"}],
    )
    aws.log('ERROR: relation "ledger" already exists')
    code, out = aws.run()
    assert code == 1
    assert "exit code: 3" in out
    assert '  ERROR: relation "ledger" already exists' in out
    assert out.endswith("migration FAILED: the release stops here; the running service was not changed\n")


def test_a_task_whose_image_cannot_be_pulled_exits_1(aws: Aws) -> None:
    reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"
    aws.started()
    aws.stopped(
        stopCode="TaskFailedToStart",
        stoppedReason=reason,
        containers=[{"name": "wallet-service", "lastStatus": "STOPPED", "reason": reason}],
    )
    aws.logs_stub.add_client_error("get_log_events", service_error_code="ResourceNotFoundException", http_status_code=400)
    code, out = aws.run()
    assert code == 1
    assert f"stopped: TaskFailedToStart: {reason}" in out
    assert f"the migration container never ran: {reason}" in out
    assert f"no log stream /aws/ecs/WalletMigrations/prod {STREAM}: the container wrote nothing" in out


def test_a_task_ecs_cannot_place_exits_1(aws: Aws) -> None:
    failure = {"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/x", "reason": "RESOURCE:ENI", "detail": "no ENI"}
    aws.ecs_stub.add_response("run_task", {"tasks": [], "failures": [failure]}, RUN_TASK)
    code, out = aws.run()
    assert code == 1
    assert out == "migration did not start: arn:aws:ecs:us-east-1:123456789012:container-instance/x RESOURCE:ENI: no ENI\n"


def test_a_migration_that_does_not_stop_in_time_exits_1_and_is_left_running(aws: Aws) -> None:
    aws.started()
    aws.status("RUNNING")
    aws.status("RUNNING")  # two checks: --timeout 2 with --poll 0
    code, out = aws.run(timeout=2)
    assert code == 1
    assert (
        f"migration timed out after 2 s: the task is still RUNNING and was left running; stop it with "
        f"`aws ecs stop-task --cluster {CLUSTER} --task {TASK}` if it is stuck"
    ) in out


def test_missing_outputs_are_one_line_naming_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    partial = {name: item for name, item in OUTPUTS.items() if name not in ("private_subnet_ids", "migration_security_group_id")}
    (tmp_path / "outputs.json").write_text(json.dumps(partial))
    assert migrate.main(["wallet-prod", "--outputs", str(tmp_path / "outputs.json")]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: output private_subnet_ids, migration_security_group_id missing; deploy the stack first "
        "(pipenv run deploy), then run this again\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["wallet-sandbox"], f"error: stack: 'wallet-sandbox' is not valid; expected one of {stack_choices()}\n"),
        (["wallet-prod", "--outputs", "/nonexistent/outputs.json"], "error: --outputs: /nonexistent/outputs.json: [Errno 2] No such file or directory: '/nonexistent/outputs.json'\n"),
    ],
    ids=["unknown-stack", "no-outputs-file"],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CDKTF_CONTEXT_JSON", raising=False)
    assert migrate.main(argv) == 2
    assert capsys.readouterr().err == message


def test_main_runs_with_the_regions_clients(
    tmp_path: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line end to end: outputs from the file, clients for the stack's region, exit status of the run."""
    (tmp_path / "outputs.json").write_text(json.dumps(OUTPUTS))
    made: list[tuple[str, str]] = []

    def client(service: str, region_name: str) -> Any:
        made.append((service, region_name))
        return {"ecs": aws.ecs, "logs": aws.logs}[service]

    monkeypatch.setattr(boto3, "client", client)
    aws.ecs_stub.add_response("run_task", {"tasks": [], "failures": [{"reason": "MISSING"}]}, RUN_TASK)
    with aws.ecs_stub:
        assert migrate.main(["wallet-prod", "--outputs", str(tmp_path / "outputs.json"), "--poll", "6"]) == 1
    assert made == [("ecs", "us-east-1"), ("logs", "us-east-1")]
    assert capsys.readouterr().out == "migration did not start: MISSING\n"


# Where the outputs come from: the stack's folder, whichever way the environment is named, and what stops the read
# before or at Terraform, for migrate and rollback alike (both read them with migrate.read_outputs). The context is the
# test's own (prod in eu-west-1, one allowed account), so the lines are literal whatever cdktf.json holds.
CONTEXT = {"wallet-prod": {"region": "eu-west-1", "allowed_account_ids": ["123456789012"]}}
IDENTITY = {"UserId": "AROAEXAMPLE:ci", "Account": "123456789012", "Arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci"}
FAKE_TERRAFORM = """#!/bin/sh
echo "$@" >> "{calls}"
cat "{answer}"
"""


def run_command(name: str, argv: list[str]) -> int:
    from release import deployment

    return migrate.main(argv) if name == "migrate" else deployment.main(["rollback", *argv])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty checkout (nothing synthesized) that both commands read, with the test's context."""
    from release import deployment

    monkeypatch.setattr(migrate, "PROJECT", tmp_path)
    monkeypatch.setattr(deployment, "PROJECT", tmp_path)
    monkeypatch.setenv("CDKTF_CONTEXT_JSON", json.dumps(CONTEXT))
    return tmp_path


def synthesized(project: Path, document: dict[str, Any]) -> Path:
    folder = project / "cdktf.out" / "stacks" / "wallet-prod"
    folder.mkdir(parents=True)
    (folder / "cdk.tf.json").write_text(json.dumps(document))
    return folder


def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any]) -> Path:
    """A `terraform` first on the PATH that records its arguments in the returned file and prints ``answer``."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "terraform-calls.txt"
    bin_dir.mkdir()
    (tmp_path / "answer.json").write_text(json.dumps(answer))
    (bin_dir / "terraform").write_text(FAKE_TERRAFORM.format(calls=calls, answer=tmp_path / "answer.json"))
    (bin_dir / "terraform").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls


def clients(monkeypatch: pytest.MonkeyPatch, aws: Aws, identity: dict[str, str] = IDENTITY) -> Stubber:
    """boto3.client answering from the stubs: STS (GetCallerIdentity once), ECS and Logs; the STS stubber, active."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1")
    sts = session.client("sts")
    stub = Stubber(sts)
    stub.add_response("get_caller_identity", identity, {})
    stub.activate()
    monkeypatch.setattr(boto3, "client", lambda service, region_name: {"sts": sts, "ecs": aws.ecs, "logs": aws.logs}[service])
    return stub


@pytest.mark.parametrize("name", ["prod", "wallet-prod"])
def test_migrate_reads_the_stacks_folder_whichever_way_the_environment_is_named(
    name: str, project: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pipenv run migrate prod` ran `terraform output` in cdktf.out/stacks/prod, which does not exist."""
    synthesized(project, {"output": {}})
    calls = fake_terraform(project, monkeypatch, OUTPUTS)
    sts = clients(monkeypatch, aws)
    aws.ecs_stub.add_response("run_task", {"tasks": [], "failures": [{"reason": "MISSING"}]}, RUN_TASK)
    with aws.ecs_stub:
        assert migrate.main([name]) == 1
    sts.assert_no_pending_responses()
    assert calls.read_text() == f"-chdir={project}/cdktf.out/stacks/wallet-prod output -json -no-color\n"
    assert capsys.readouterr().out == "migration did not start: MISSING\n"


@pytest.mark.parametrize("name", ["migrate", "rollback"])
def test_a_stack_never_synthesized_here_says_so_before_asking_anyone(
    name: str, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = fake_terraform(project, monkeypatch, {})
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: pytest.fail("asked AWS"))
    assert run_command(name, ["prod"]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: cdktf.out/stacks/wallet-prod was never synthesized in this checkout: run `pipenv run plan prod "
        "<the tag it runs>` once (it synthesizes and runs terraform init), then run this again\n"
    )
    assert not calls.exists()


@pytest.mark.parametrize("name", ["migrate", "rollback"])
def test_no_credentials_are_named_before_terraform_runs(
    name: str, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without credentials Terraform's S3 backend cannot be initialized, and `terraform output` then asked for
    `terraform init`: the credentials are checked first, with boto3's own chain (here: finding nothing)."""
    synthesized(project, {"output": {}})
    calls = fake_terraform(project, monkeypatch, {})
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):  # fmt: skip
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(project / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a session of its own, which reads the environment above
    assert run_command(name, ["wallet-prod"]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: credentials (account 123456789012, eu-west-1): no AWS credentials (Unable to locate credentials); "
        "sign in (e.g. aws sso login, or set AWS_PROFILE) and run this again\n"
    )
    assert not calls.exists()


def test_credentials_of_another_account_are_named(
    project: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    synthesized(project, {"output": {}})
    calls = fake_terraform(project, monkeypatch, {})
    clients(monkeypatch, aws, {**IDENTITY, "Account": "210987654321", "Arn": "arn:aws:sts::210987654321:assumed-role/dev/me"})
    assert migrate.main(["prod"]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: credentials (account 123456789012, eu-west-1): they are for account 210987654321, which "
        "allowed_account_ids does not name; sign in to 123456789012 (e.g. another AWS_PROFILE) and run this again\n"
    )
    assert not calls.exists()


@pytest.mark.parametrize("name", ["migrate", "rollback"])
def test_a_folder_terraform_init_never_ran_in_is_named(
    name: str, project: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real Terraform, on a synthesized stack with an S3 backend never initialized: it refuses before any request."""
    backend = {"s3": {"bucket": "wallet-service-terraform-state-123456789012-eu-west-1", "key": "wallet-prod", "region": "eu-west-1"}}
    synthesized(project, {"terraform": {"backend": backend}, "output": {"cluster_name": {"value": "wallet-service-cluster-prod"}}})
    clients(monkeypatch, aws)
    assert run_command(name, ["prod"]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: cdktf.out/stacks/wallet-prod is not initialized in this checkout (terraform init never ran here): "
        "run `pipenv run plan prod <the tag it runs>` once (it synthesizes and runs terraform init)\n"
    )


@pytest.mark.parametrize("name", ["migrate", "rollback"])
def test_a_stack_without_state_is_named_never_deployed(
    name: str, project: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real Terraform, initialized (a local backend: the same answer as an S3 key that holds no state yet)."""
    folder = synthesized(project, {"output": {"cluster_name": {"value": "wallet-service-cluster-prod"}}})
    subprocess.run(["terraform", f"-chdir={folder}", "init", "-input=false", "-no-color"], capture_output=True, check=True)
    clients(monkeypatch, aws)
    assert run_command(name, ["prod"]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: its state has no outputs: the stack was never deployed (or was destroyed); deploy it first: "
        "pipenv run deploy prod <tag>\n"
    )


@pytest.mark.parametrize(
    ("option", "value", "refusal"),
    [
        ("--poll", 6, None),
        ("--poll", 5, "--poll 5: expected at least 6 (ECS's own waiters check every 6 s at the shortest)"),
        ("--poll", 0, "--poll 0: expected at least 6 (ECS's own waiters check every 6 s at the shortest)"),
        ("--timeout", 1, None),
        ("--timeout", 0, "--timeout 0: expected at least 1"),
    ],
)
@pytest.mark.parametrize("name", ["migrate", "rollback"])
def test_poll_below_6_seconds_is_refused(
    name: str, *, option: str, value: int, refusal: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """6 s, ECS's own shortest waiter delay, is the last --poll accepted, 1 the last --timeout; below them, one line
    naming the option, exit 2."""
    monkeypatch.setenv("CDKTF_CONTEXT_JSON", json.dumps(CONTEXT))
    (tmp_path / "outputs.json").write_text(json.dumps({}))  # accepted: goes on to the outputs, which are missing
    assert run_command(name, ["prod", "--outputs", str(tmp_path / "outputs.json"), option, str(value)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    if refusal is None:
        assert line.startswith("error: wallet-prod: output cluster_name")
    else:
        assert line == f"error: {refusal}"


@pytest.mark.parametrize(("value", "refusal"), [(1, None), (0, "--tail 0: expected at least 1")])
def test_migrate_tail_below_one_line_is_refused(
    value: int, refusal: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDKTF_CONTEXT_JSON", json.dumps(CONTEXT))
    (tmp_path / "outputs.json").write_text(json.dumps({}))
    assert run_command("migrate", ["prod", "--outputs", str(tmp_path / "outputs.json"), "--tail", str(value)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    if refusal is None:
        assert line.startswith("error: wallet-prod: output cluster_name")
    else:
        assert line == f"error: {refusal}"


def test_in_its_own_account_a_stack_never_synthesized_names_the_deploy_roles_init(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """There a plan initializes the plan role's folder of its own: the deploy role's comes from main.py and init."""
    monkeypatch.setenv("CDKTF_CONTEXT_JSON", json.dumps({
        "wallet": {"state_account_id": "333333333333"}, "wallet-dev": {"account_id": "111111111111"},
        "wallet-staging": {"account_id": "111111111111"},
        "wallet-prod": {"account_id": "222222222222",
                        "certificate_arn": "arn:aws:acm:us-east-1:222222222222:certificate/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"},
    }))  # fmt: skip
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: pytest.fail("asked AWS"))
    assert migrate.main(["prod"]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: cdktf.out/stacks/wallet-prod was never synthesized in this checkout: run `python main.py && "
        "terraform -chdir=cdktf.out/stacks/wallet-prod init` once, as a caller that may assume the deploy role, then run this again\n"
    )
