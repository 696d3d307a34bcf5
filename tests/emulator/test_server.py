"""The emulator's server (sandbox/server.py) on its own: a changing request that an SDK sends again with the
same ``amz-sdk-invocation-id`` gets the answer its earlier attempt got, and is not carried out twice; the same request
of another invocation is carried out (and refused as a duplicate, as AWS would). A server of its own on a free port,
so the lifecycle's account is left alone."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.account import CREDENTIALS, Account, Emulator
from tests import backup_events

TRUST = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Account, Path]]:
    """A server of its own and its log (stdout and stderr), stopped after the module."""
    log = tmp_path_factory.mktemp("server") / "emulator.log"
    emulator = Emulator(log)
    try:
        emulator.wait_until_up()
        yield emulator.account, log
    finally:
        emulator.stop()


def iam_sending_as(account: Account, invocation: Callable[[], str]) -> Any:
    """An IAM client that sends each CreateRole as SDK invocation ``invocation()``, once (no retries of its own): the
    id goes where botocore keeps it (the request context's retries), and botocore's own handler puts it in the header."""
    client = boto3.client(
        "iam",
        endpoint_url=account.endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"total_max_attempts": 1}),
    )

    def fixed_invocation(context: dict[str, Any], **_: Any) -> None:
        context["retries"] = {"invocation-id": invocation()}

    client.meta.events.register("before-call.iam.CreateRole", fixed_invocation)
    return client


def test_a_create_sent_again_by_its_invocation_gets_the_first_answer_and_is_carried_out_once(server: tuple[Account, Path]) -> None:
    account, log = server
    iam = iam_sending_as(account, lambda: "7f0e4c52-replay-test-0001")
    create = {"RoleName": "wallet-replayed", "Path": "/replayed/", "AssumeRolePolicyDocument": TRUST}
    first, again = iam.create_role(**create), iam.create_role(**create)
    assert (first["ResponseMetadata"]["HTTPStatusCode"], again["ResponseMetadata"]["HTTPStatusCode"]) == (200, 200)
    assert again["Role"] == first["Role"]
    assert again["ResponseMetadata"]["RequestId"] == first["ResponseMetadata"]["RequestId"]
    assert [role["RoleId"] for role in iam.list_roles(PathPrefix="/replayed/")["Roles"]] == [first["Role"]["RoleId"]]
    retried = [line for line in log.read_text().splitlines() if line.startswith("retried request:")]
    assert len(retried) == 1 and "CreateRole" in retried[0] and "given again, not carried out twice" in retried[0], retried


def test_the_same_create_of_another_invocation_is_refused_as_a_duplicate(server: tuple[Account, Path]) -> None:
    account, _ = server
    invocations = iter(["7f0e4c52-replay-test-0002", "7f0e4c52-replay-test-0003"])
    iam = iam_sending_as(account, lambda: next(invocations))
    create = {"RoleName": "wallet-not-replayed", "Path": "/not-replayed/", "AssumeRolePolicyDocument": TRUST}
    first = iam.create_role(**create)
    with pytest.raises(ClientError) as refused:
        iam.create_role(**create)
    assert refused.value.response["Error"]["Code"] == "EntityAlreadyExists"
    assert [role["RoleId"] for role in iam.list_roles(PathPrefix="/not-replayed/")["Roles"]] == [first["Role"]["RoleId"]]


def test_a_deployment_of_a_traffic_shifting_service_swaps_its_target_groups(server: tuple[Account, Path]) -> None:
    """As ECS after a successful canary: all traffic on the group the revision started in, which the service then
    reports as its own; a second deployment swaps them back; an UpdateService that deploys nothing swaps nothing."""
    account, _ = server
    elbv2, ecs, ec2 = (account.client(name, "us-east-1") for name in ("elbv2", "ecs", "ec2"))
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]  # fmt: skip
    balancer = elbv2.create_load_balancer(Name="swap", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (elbv2.create_target_group(Name=n, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
                   for n in ("swap-blue", "swap-green"))  # fmt: skip
    forward = {"Type": "forward", "TargetGroupArn": blue}
    listener = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=[forward])["Listeners"][0]
    weighted = {"TargetGroups": [{"TargetGroupArn": blue, "Weight": 100}, {"TargetGroupArn": green, "Weight": 0}]}
    rule = elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=1, Actions=[{"Type": "forward", "ForwardConfig": weighted}],
                             Conditions=[{"Field": "path-pattern", "Values": ["/*"]}])["Rules"][0]["RuleArn"]  # fmt: skip
    ecs.create_cluster(clusterName="swap")
    revisions = [
        ecs.register_task_definition(family="swap", containerDefinitions=[{"name": "app", "image": f"app:{n}", "memory": 512}])[
            "taskDefinition"
        ]["taskDefinitionArn"]
        for n in (1, 2, 3)
    ]
    ecs.create_service(cluster="swap", serviceName="swap", taskDefinition=revisions[0], desiredCount=0,
                       loadBalancers=[{"targetGroupArn": blue, "containerName": "app", "containerPort": 80}])  # fmt: skip

    def serving() -> tuple[str, dict[str, int]]:
        [service] = ecs.describe_services(cluster="swap", services=["swap"])["services"]
        [action] = elbv2.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"]
        weights = {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}
        return service["loadBalancers"][0]["targetGroupArn"], weights

    ecs.update_service(cluster="swap", service="swap", desiredCount=0)
    assert serving() == (blue, {blue: 100, green: 0})
    ecs.update_service(cluster="swap", service="swap", taskDefinition=revisions[1])
    assert serving() == (green, {blue: 0, green: 100})
    ecs.update_service(cluster="swap", service="swap", taskDefinition=revisions[2])
    assert serving() == (blue, {blue: 100, green: 0})


PLAN = "arn:aws:backup:us-east-1:123456789012:restore-testing-plan:wallet_service_prod_restore_test-0b6f1c2e-9d3a-4b7e-8f10-2a3b4c5d6e7f"
RESTORE_TESTED = {
    "source": ["aws.backup"],
    "detail-type": ["Restore Job State Change"],
    "detail": {"status": ["COMPLETED", "FAILED", "ABORTED"], "restoreTestingPlanArn": [PLAN]},
}
"""The restore-test rule's pattern (tests/stacks/test_backup.py), with a plan's ARN."""


def test_test_event_pattern_answers_with_the_rules_matcher(server: tuple[Account, Path]) -> None:
    """TestEventPattern (server.py's correction) on AWS's example events: a completed and a failed job of the plan
    match; a running one, another plan's and a restore outside any plan do not; an event without a mandatory field is
    refused."""
    events = server[0].client("events", "us-east-1")

    def matches(event: dict[str, Any]) -> bool:
        return bool(events.test_event_pattern(EventPattern=json.dumps(RESTORE_TESTED), Event=json.dumps(event))["Result"])

    assert matches(backup_events.of_restore_test(backup_events.COMPLETED, PLAN))
    assert matches(backup_events.of_restore_test(backup_events.FAILED, PLAN))
    assert not matches(backup_events.of_restore_test(backup_events.RUNNING, PLAN))
    assert not matches(backup_events.of_restore_test(backup_events.COMPLETED, backup_events.OTHER_PLAN))
    assert not matches(backup_events.COMPLETED)
    with pytest.raises(ClientError) as refused:
        matches({key: value for key, value in backup_events.COMPLETED.items() if key != "id"})
    assert refused.value.response["Error"]["Message"] == "Event is missing the mandatory fields id"


def test_endpoint_services_are_filtered_by_service_name(server: tuple[Account, Path]) -> None:
    """What `pipenv run preflight` asks (release/preflight.py, endpoint AZs): the interface services of these names,
    with the Availability Zones they are offered in."""
    account, _ = server
    wanted = ["com.amazonaws.us-east-1.ecr.api", "com.amazonaws.us-east-1.logs"]
    filters = [{"Name": "service-name", "Values": wanted}, {"Name": "service-type", "Values": ["Interface"]}]
    details = account.client("ec2", "us-east-1").describe_vpc_endpoint_services(Filters=filters)["ServiceDetails"]
    assert sorted(detail["ServiceName"] for detail in details) == wanted
    assert all("us-east-1a" in detail["AvailabilityZones"] for detail in details)


def test_service_deployments_are_listed_and_described_as_rollback_reads_them(server: tuple[Account, Path]) -> None:
    """ListServiceDeployments and DescribeServiceDeployments (release/deployment.py): one SUCCESSFUL deployment per
    CreateService and per UpdateService that deploys; none in progress, so `pipenv run rollback` refuses."""
    from release.deployment import DeploymentError, Service, newest, rollback

    account, _ = server
    ecs = account.client("ecs", "us-east-1")
    ecs.create_cluster(clusterName="wallet-service-cluster-sandbox")
    family = ecs.register_task_definition(family="wallet-sandbox", containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512}])
    arn = family["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="wallet-service-cluster-sandbox", serviceName="wallet-service-sandbox", taskDefinition=arn, desiredCount=0)
    ecs.update_service(cluster="wallet-service-cluster-sandbox", service="wallet-service-sandbox", desiredCount=1)  # no deployment
    ecs.update_service(cluster="wallet-service-cluster-sandbox", service="wallet-service-sandbox", forceNewDeployment=True)
    listed = ecs.list_service_deployments(cluster="wallet-service-cluster-sandbox", service="wallet-service-sandbox")["serviceDeployments"]
    assert [item["status"] for item in listed] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert (
        ecs.list_service_deployments(cluster="wallet-service-cluster-sandbox", service="wallet-service-sandbox", status=["IN_PROGRESS"])[
            "serviceDeployments"
        ]
        == []
    )
    service = Service(
        stack="wallet-sandbox", environment="sandbox", cluster="wallet-service-cluster-sandbox", name="wallet-service-sandbox"
    )
    latest = newest(ecs, service)
    assert latest is not None and latest["serviceDeploymentArn"] == listed[-1]["serviceDeploymentArn"]
    assert latest["targetServiceRevision"]["arn"].startswith("arn:aws:ecs:us-east-1:123456789012:service-revision/")
    with pytest.raises(DeploymentError, match="nothing to roll back: no deployment of wallet-service-sandbox is pending or in progress"):
        rollback(ecs, service, timeout_seconds=60, poll_seconds=6, out=sys.stdout)


def test_postgresql_classes_are_orderable_by_class(server: tuple[Account, Path]) -> None:
    """What `pipenv run preflight`'s database class check asks: the PostgreSQL options of one class (AWS filters by it)."""
    account, _ = server
    rds = account.client("rds", "us-east-1")
    options = rds.describe_orderable_db_instance_options(Engine="postgres", DBInstanceClass="db.t4g.micro", Vpc=True)[
        "OrderableDBInstanceOptions"
    ]
    assert sorted((item["DBInstanceClass"], item["EngineVersion"].split(".")[0]) for item in options) == [
        ("db.t4g.micro", "16"),
        ("db.t4g.micro", "17"),
    ]
    assert rds.describe_orderable_db_instance_options(Engine="postgres", DBInstanceClass="db.z1d.large")["OrderableDBInstanceOptions"] == []
