"""`pipenv run rollback` and the deployment status the release script prints, without AWS: the ECS client answers from
botocore's Stubber, which checks every request against the API model and every answer against its shape."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from release import deployment
from tests.expected import stack_choices

CLUSTER, SERVICE = "wallet-service-cluster-prod", "wallet-service-prod"
SERVICE_ARN = f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/{SERVICE}"
CLUSTER_ARN = f"arn:aws:ecs:us-east-1:123456789012:cluster/{CLUSTER}"
DEPLOYMENT = f"arn:aws:ecs:us-east-1:123456789012:service-deployment/{CLUSTER}/{SERVICE}/NCWGC2ZR-taawPAYrIaU5"
REVISION = f"arn:aws:ecs:us-east-1:123456789012:service-revision/{CLUSTER}/{SERVICE}/4980306466373577095"
OUTPUTS = {"cluster_name": {"value": CLUSTER}, "service_name": {"value": SERVICE}, "service_url": {"value": "https://example"}}
TARGET = deployment.Service.from_outputs("wallet-prod", "prod", OUTPUTS)
WHEN = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def brief(status: str) -> dict[str, Any]:
    return {"serviceDeploymentArn": DEPLOYMENT, "serviceArn": SERVICE_ARN, "clusterArn": CLUSTER_ARN, "status": status, "createdAt": WHEN}


def full(status: str, stage: str | None = None, reason: str | None = None) -> dict[str, Any]:
    found = {**brief(status), "targetServiceRevision": {"arn": REVISION, "requestedTaskCount": 2, "runningTaskCount": 2}}
    return {**found, **({"lifecycleStage": stage} if stage else {}), **({"statusReason": reason} if reason else {})}


class Ecs:
    """A stubbed ECS client; the test adds the answers in the order the command asks."""

    def __init__(self) -> None:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        self.client = session.client("ecs")
        self.stub = Stubber(self.client)

    def listed(self, *statuses: str, answer: str | None) -> None:
        request = {"cluster": CLUSTER, "service": SERVICE, **({"status": list(statuses)} if statuses else {})}
        self.stub.add_response("list_service_deployments", {"serviceDeployments": [brief(answer)] if answer else []}, request)

    def described(self, status: str, stage: str | None = None, reason: str | None = None) -> None:
        answer = {"serviceDeployments": [full(status, stage, reason)], "failures": []}
        self.stub.add_response("describe_service_deployments", answer, {"serviceDeploymentArns": [DEPLOYMENT]})

    def stopped(self) -> None:
        self.stub.add_response(
            "stop_service_deployment", {"serviceDeploymentArn": DEPLOYMENT}, {"serviceDeploymentArn": DEPLOYMENT, "stopType": "ROLLBACK"}
        )

    def rollback(self, timeout: int = 60) -> tuple[int, str]:
        out = io.StringIO()
        with self.stub:
            code = deployment.rollback(self.client, TARGET, timeout_seconds=timeout, poll_seconds=0, out=out)
            self.stub.assert_no_pending_responses()
        return code, out.getvalue()

    def status(self) -> str:
        with self.stub:
            line = deployment.describe(TARGET, deployment.newest(self.client, TARGET))
            self.stub.assert_no_pending_responses()
        return line


@pytest.fixture
def ecs() -> Iterator[Ecs]:
    yield Ecs()


def test_a_deployment_in_bake_is_rolled_back_by_a_traffic_shift(ecs: Ecs) -> None:
    ecs.listed("PENDING", "IN_PROGRESS", answer="IN_PROGRESS")
    ecs.described("IN_PROGRESS", "BAKE_TIME")
    ecs.stopped()
    ecs.described("ROLLBACK_IN_PROGRESS")  # the waiter's checks
    ecs.described("ROLLBACK_SUCCESSFUL")
    code, out = ecs.rollback()
    assert code == 0
    assert out.splitlines() == [
        "1/2 rolling back wallet-service-prod's deployment of revision 4980306466373577095 (IN_PROGRESS, BAKE_TIME)",
        "2/2 waiting for ECS to move traffic back (at most 60 s)",
        "wallet-prod: rolled back; the revision that served before serves again",
    ]


@pytest.mark.parametrize(
    ("ending", "reason", "line"),
    [
        ("ROLLBACK_FAILED", "tasks failed to start", "wallet-prod: deployment of revision 4980306466373577095 is ROLLBACK_FAILED "
         "(tasks failed to start): neither revision is certain to serve; check the service's events and tasks in the ECS console now"),
        ("SUCCESSFUL", None, "wallet-prod: the deployment finished before the stop took effect: revision 4980306466373577095 serves; "
         "to go back, release the previous tag: pipenv run release prod <previous tag>"),
    ],
    ids=["rollback-failed", "finished-before-the-stop"],
)  # fmt: skip
def test_a_rollback_that_does_not_end_rolled_back_says_so_and_exits_1(ecs: Ecs, ending: str, reason: str | None, line: str) -> None:
    ecs.listed("PENDING", "IN_PROGRESS", answer="IN_PROGRESS")
    ecs.described("IN_PROGRESS", "CLEAN_UP")
    ecs.stopped()
    ecs.described(ending, reason=reason)
    code, out = ecs.rollback()
    assert code == 1
    assert out.splitlines()[-1] == line


def test_a_rollback_that_outlasts_the_wait_reports_where_it_stands(ecs: Ecs) -> None:
    ecs.listed("PENDING", "IN_PROGRESS", answer="IN_PROGRESS")
    ecs.described("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT")
    ecs.stopped()
    ecs.described("ROLLBACK_IN_PROGRESS")  # one check: --timeout 1 with --poll 0 allows one
    code, out = ecs.rollback(timeout=1)
    assert code == 1
    assert "is ROLLBACK_IN_PROGRESS: ECS is moving traffic back to the previous revision; nothing to do but wait" in out


def test_the_newest_deployment_is_found_on_any_page_by_its_creation_time(ecs: Ecs) -> None:
    """ListServiceDeployments promises no order and may page: every page is read, the latest createdAt wins."""
    older = {**brief("SUCCESSFUL"), "serviceDeploymentArn": DEPLOYMENT + "-old", "createdAt": datetime(2026, 11, 29, tzinfo=UTC)}
    request = {"cluster": CLUSTER, "service": SERVICE}
    ecs.stub.add_response("list_service_deployments", {"serviceDeployments": [older], "nextToken": "page-2"}, request)
    ecs.stub.add_response("list_service_deployments", {"serviceDeployments": [brief("IN_PROGRESS")]}, {**request, "nextToken": "page-2"})
    ecs.described("IN_PROGRESS", "BAKE_TIME")
    assert ecs.status().startswith("wallet-prod: deployment of revision 4980306466373577095 is IN_PROGRESS in BAKE_TIME")


def test_nothing_to_roll_back_is_refused_with_what_to_do(ecs: Ecs) -> None:
    ecs.listed("PENDING", "IN_PROGRESS", answer=None)
    ecs.listed(answer="SUCCESSFUL")
    ecs.described("SUCCESSFUL")
    with ecs.stub, pytest.raises(deployment.DeploymentError) as refused:
        deployment.rollback(ecs.client, TARGET, timeout_seconds=60, poll_seconds=0, out=io.StringIO())
    assert str(refused.value) == (
        "wallet-prod: nothing to roll back: no deployment of wallet-service-prod is pending or in progress (the newest, of revision "
        "4980306466373577095, is SUCCESSFUL); to go back to an earlier image, release it: pipenv run release prod <previous tag>"
    )


@pytest.mark.parametrize(
    ("status", "stage", "reason", "says", "never"),
    [
        ("IN_PROGRESS", "BAKE_TIME", None, "is IN_PROGRESS in BAKE_TIME: ECS is still deploying and carries on without Terraform", None),
        ("PENDING", None, None, "nothing to do while it is healthy", None),
        ("SUCCESSFUL", None, None, "is SUCCESSFUL (started 2026-11-30 20:00 UTC): that revision serves; if the apply started no "
         "newer deployment", "rollback"),
        ("ROLLBACK_SUCCESSFUL", None, "alarm wallet-service-prod-deploy-5xx-rate", "(alarm wallet-service-prod-deploy-5xx-rate): the "
         "previous revision serves again", "pipenv run rollback"),
        ("ROLLBACK_IN_PROGRESS", None, None, "moving traffic back to the previous revision; nothing to do but wait", "pipenv run rollback"),
        ("STOPPED", None, "stopped by a user", "neither revision is certain to serve", "pipenv run rollback"),
    ],
)  # fmt: skip
def test_the_status_after_a_failed_apply_says_which_it_is(
    ecs: Ecs, *, status: str, stage: str | None, reason: str | None, says: str, never: str | None
) -> None:
    """A rollback is offered only as the choice while ECS still deploys, never as the cure of an apply's timeout."""
    ecs.listed(answer=status)
    ecs.described(status, stage, reason)
    line = ecs.status()
    assert line.startswith(f"wallet-prod: deployment of revision 4980306466373577095 is {status}") and says in line
    assert never is None or never not in line


def test_a_service_never_deployed_has_no_status(ecs: Ecs) -> None:
    ecs.listed(answer=None)
    assert ecs.status() == "wallet-prod: wallet-service-prod has no service deployment yet"


def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "outputs.json").write_text(json.dumps({"cluster_name": {"value": CLUSTER}}))
    assert deployment.main(["status", "prod", "--outputs", str(tmp_path / "outputs.json")]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: output service_name missing; deploy the stack first (pipenv run deploy prod <tag>)\n"
    )
    assert deployment.main(["rollback", "sandbox"]) == 2
    assert capsys.readouterr().err == f"error: stack: 'sandbox' is not valid; expected one of {stack_choices()}\n"


def service_state(load_balancer: list[dict[str, Any]]) -> dict[str, Any]:
    """A `terraform state pull` document holding the service with this load balancer block."""
    return {
        "resources": [
            {"type": "aws_ecs_service", "name": "service_service", "instances": [{"attributes": {"load_balancer": load_balancer}}]}
        ]
    }


SHIFTING: dict[str, Any] = {"variable": {"image_tag": {}, "keep_rolling": {"type": "bool", "default": False}}}
ROLLING: dict[str, Any] = {"variable": {"image_tag": {}}}
BLOCK = {"container_name": "wallet-service", "container_port": 8080, "target_group_arn": "arn:aws:elasticloadbalancing:tg/a"}


@pytest.mark.parametrize(
    ("state", "configuration", "switching"),
    [
        (service_state([{**BLOCK, "advanced_configuration": []}]), SHIFTING, True),  # rolling today, canary configured
        (service_state([{**BLOCK, "advanced_configuration": [{"role_arn": "arn:aws:iam::1:role/r"}]}]), SHIFTING, False),  # shifts
        (service_state([{**BLOCK, "advanced_configuration": []}]), ROLLING, False),  # stays rolling
        (service_state([BLOCK]), SHIFTING, False),  # provider 5.x: no such attribute, no switch possible
        ({}, SHIFTING, False),  # not deployed: the first deploy creates it with the strategy
    ],
)
def test_a_switch_from_rolling_is_recognized_from_the_state(state: dict[str, Any], configuration: dict[str, Any], switching: bool) -> None:
    assert deployment.switching_from_rolling(state, configuration) is switching


def test_a_switch_check_without_a_synthesized_stack_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.setattr(deployment, "PROJECT", tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("{}"))
    assert deployment.main(["switching", "wallet-prod"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: wallet-prod: the state or {tmp_path}/cdktf.out/stacks/wallet-prod/cdk.tf.json cannot be read (")
    assert line.endswith("); synthesize first (pipenv run synth)")


def ecs_service_state(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "resources": [{"mode": "managed", "type": "aws_ecs_service", "name": "service_service", "instances": [{"attributes": attributes}]}]
    }


@pytest.mark.parametrize(
    ("state", "refused"),
    [
        (ecs_service_state({"launch_type": "FARGATE", "capacity_provider_strategy": []}), True),  # prod as deployed before
        (ecs_service_state({"launch_type": "", "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 100}]}), False),
        (ecs_service_state({"launch_type": "FARGATE", "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 100}]}),
         False),  # moved by the runbook, AWS still answering the launch type: a strategy is what counts
        ({}, False),  # not deployed
    ],
    ids=["launch-type", "strategy", "moved", "empty"],
)  # fmt: skip
def test_a_service_on_the_launch_type_is_recognized_from_the_state(state: dict[str, Any], refused: bool,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    assert deployment.launch_type_form(state) is refused
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(state)))
    assert deployment.main(["launch-type"]) == 0
    assert capsys.readouterr().out == f"{int(refused)}\n"


def test_a_launch_type_check_of_an_unreadable_state_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("<html>"))
    assert deployment.main(["launch-type"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: the state cannot be read (")
