"""`pipenv run preflight`, without AWS: every client answers from botocore's Stubber, which checks each request and
answer against the API model. An account where everything is in place, then each problem the command must name."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from release import preflight
from stacks import config
from tests.expected import ADOT_COLLECTOR, EXPECTED, stack_choices
from tests.vpcs import ROUTE_TABLES, SUBNETS, VPC, subnet

ACCOUNT = "123456789012"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
TOPIC = "arn:aws:sns:us-east-1:123456789012:wallet-service-prod-alarms"
BUCKET = "acme-wallet-terraform-state"
IN_VPC = [{"Name": "vpc-id", "Values": [VPC]}]
ECR_API, ECR_DKR, LOGS, SECRETS = (f"com.amazonaws.us-east-1.{name}" for name in ("ecr.api", "ecr.dkr", "logs", "secretsmanager"))


def offered(*services: str, zones: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c")) -> dict[str, Any]:
    """DescribeVpcEndpointServices' answer: ``services`` as interface endpoint services offered in ``zones``."""
    return {
        "ServiceDetails": [
            {"ServiceName": name, "ServiceType": [{"ServiceType": "Interface"}], "AvailabilityZones": list(zones), "Owner": "amazon"}
            for name in services
        ]
    }


def asked_for(*services: str) -> dict[str, Any]:
    """DescribeVpcEndpointServices' request for ``services``, interface endpoints only."""
    return {"Filters": [{"Name": "service-name", "Values": list(services)}, {"Name": "service-type", "Values": ["Interface"]}]}


def dns(support: bool, hostnames: bool) -> dict[str, Any]:
    """DescribeVpcAttribute's answer, with both attributes (the model allows either; the command reads the one asked)."""
    return {"VpcId": VPC, "EnableDnsSupport": {"Value": support}, "EnableDnsHostnames": {"Value": hostnames}}


def prod(**shared: Any) -> config.EnvironmentConfig:
    context = {"wallet": shared, "wallet-prod": {"vpc_id": VPC, "alarm_emails": ["oncall@example.com"]}}
    [chosen] = [c for c in config.load(context) if c.stack_name == "wallet-prod"]
    return chosen


PROD = prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT])


# client, operation, answer, expected parameters: a ready account, in the order the command asks.
READY: list[tuple[str, str, Any, dict[str, Any]]] = [
    ("sts", "get_caller_identity", {"UserId": "AIDAEXAMPLE", "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/deployer"}, {}),
    ("ec2", "describe_vpcs", {"Vpcs": [{"VpcId": VPC}]}, {"Filters": IN_VPC}),
    ("ec2", "describe_subnets", {"Subnets": SUBNETS}, {"Filters": IN_VPC}),
    ("ec2", "describe_route_tables", {"RouteTables": ROUTE_TABLES}, {"Filters": IN_VPC}),
    ("ec2", "describe_vpc_endpoints", {"VpcEndpoints": []}, {"Filters": IN_VPC}),
    ("ec2", "describe_vpc_endpoint_services", offered(ECR_API, ECR_DKR, LOGS, SECRETS), asked_for(ECR_API, ECR_DKR, LOGS, SECRETS)),
    ("ec2", "describe_vpc_attribute", dns(True, True), {"VpcId": VPC, "Attribute": "enableDnsSupport"}),
    ("ec2", "describe_vpc_attribute", dns(True, True), {"VpcId": VPC, "Attribute": "enableDnsHostnames"}),
    ("ecr", "describe_images", {"imageDetails": [{"imageTags": ["v1.2.3"]}]}, {"repositoryName": "wallet-service", "imageIds": [{"imageTag": "v1.2.3"}]}),
    ("acm", "list_certificates", {"CertificateSummaryList": [{"CertificateArn": CERT, "DomainName": "wallet.example.com"}]},
     {"CertificateStatuses": ["ISSUED"]}),
    ("acm", "list_tags_for_certificate", {"Tags": [{"Key": "Name", "Value": "wallet-prod"}]}, {"CertificateArn": CERT}),
    ("acm", "describe_certificate", {"Certificate": {"CertificateArn": CERT, "DomainName": "wallet.example.com", "Status": "ISSUED"}},
     {"CertificateArn": CERT}),
    ("s3", "head_bucket", {}, {"Bucket": BUCKET}),
    ("s3", "get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": BUCKET}),
    ("s3", "get_bucket_encryption", {"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}},
     {"Bucket": BUCKET}),
    ("sns", "list_subscriptions_by_topic", {"Subscriptions": [{"SubscriptionArn": f"{TOPIC}:0f1e2d3c", "Owner": ACCOUNT, "Protocol": "email",
     "Endpoint": "oncall@example.com", "TopicArn": TOPIC}]}, {"TopicArn": TOPIC}),
]  # fmt: skip
VPC_CHECKS = ("describe_vpc_endpoint_services", "describe_vpc_attribute")
"""What the endpoint AZs and VPC DNS checks ask, neither with vpc_endpoints off nor without a VPC."""


ORDERABLE = "describe_orderable_db_instance_options"


def orderable(instance_class: str, *versions: str) -> dict[str, Any]:
    """RDS's answer: ``instance_class`` offered in a VPC for PostgreSQL ``versions``."""
    return {
        "OrderableDBInstanceOptions": [
            {"Engine": "postgres", "EngineVersion": version, "DBInstanceClass": instance_class, "Vpc": True} for version in versions
        ]
    }


def preflight_with(
    changes: dict[str, Any] | None = None,
    *,
    drop: tuple[str, ...] = (),
    target: config.EnvironmentConfig = PROD,
    bucket: str = BUCKET,
    params: dict[str, dict[str, Any]] | None = None,
) -> tuple[int, list[str]]:
    """Runs the command for ``target`` against READY with some answers replaced (an answer of ("error", code) is an AWS
    error), some calls dropped (the command stops asking after a problem), the state bucket asked for by ``bucket`` and
    some requests expected with other ``params``."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    clients = {name: session.client(name) for name in ("sts", "ec2", "ecr", "acm", "s3", "sns", "rds")}
    stubs = {name: Stubber(client) for name, client in clients.items()}
    for client, operation, ready, expected_params in READY:
        if operation in drop:
            continue
        answer = (changes or {}).get(operation, ready)
        if isinstance(answer, tuple):
            status = answer[2] if len(answer) > 2 else 400  # ("error", code), ("error", code, HTTP status[, message])
            message = answer[3] if len(answer) > 3 else ""
            stubs[client].add_client_error(operation, service_error_code=answer[1], service_message=message, http_status_code=status)
        else:
            expected = (params or {}).get(operation, {"Bucket": bucket} if client == "s3" else expected_params)
            stubs[client].add_response(operation, answer, expected)
    if ORDERABLE not in drop:  # one request per class the target runs
        for instance_class in preflight.database_classes(target):
            answer = (changes or {}).get(ORDERABLE, orderable(instance_class, "17.4"))
            expected = {"Engine": "postgres", "DBInstanceClass": instance_class, "Vpc": True}
            if isinstance(answer, tuple):
                stubs["rds"].add_client_error(ORDERABLE, service_error_code=answer[1], http_status_code=400)
            else:
                stubs["rds"].add_response(ORDERABLE, answer, expected)
    lines: list[str] = []
    for stub in stubs.values():
        stub.activate()
    code = preflight.run(clients, target, "v1.2.3", out=lines.append)
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()
    return code, lines


def problem(lines: list[str], check: str) -> str:
    [line] = [line for line in lines if line.startswith(check)]
    return line


def test_a_ready_account_passes_every_check() -> None:
    code, lines = preflight_with()
    assert code == 0
    assert lines == [
        "account        ok (123456789012)",
        f"network        ok ({VPC}: 2 private by route tables, 2 public by route tables)",
        "endpoints      ok (none in the way)",
        "endpoint AZs   ok (4 services in us-east-1a, us-east-1b)",
        "VPC DNS        ok (DNS support and DNS hostnames on)",
        "image          ok (wallet-service:v1.2.3)",
        "database class ok (db.t3.small, db.t4g.micro, PostgreSQL 17)",
        "certificate    ok (wallet.example.com)",
        f"state bucket   ok ({BUCKET})",
        "alarm e-mails  ok (1 confirmed)",
        "wallet-prod: ready for the first plan",
    ]


def test_only_reading_calls() -> None:
    assert all(operation.split("_")[0] in ("get", "describe", "list", "head") for _, operation, _, _ in READY)


def test_subnets_by_route_table_the_way_aws_cdk_looks_them_up() -> None:
    assert preflight.classify(SUBNETS, ROUTE_TABLES) == {
        "subnet-0000000a": "private", "subnet-0000000b": "private", "subnet-0000000c": "public", "subnet-0000000d": "public",
    }  # fmt: skip
    # A subnet with no explicit association uses the main route table: public when that one reaches an internet gateway.
    main_public = [{**ROUTE_TABLES[0], "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123abcd"}]}]
    assert preflight.classify([subnet("subnet-0000000e", "us-east-1a")], main_public) == {"subnet-0000000e": "public"}


@pytest.mark.parametrize(
    ("changes", "drop", "check", "line"),
    [
        ({"get_caller_identity": {"UserId": "AIDAEXAMPLE", "Account": "210987654321", "Arn": "arn:aws:iam::210987654321:user/x"}},
         (*(operation for _, operation, _, _ in READY[1:]), ORDERABLE),  # nothing else is looked at in the wrong account
         "account", "account        PROBLEM: the credentials are for 210987654321; allowed_account_ids: 123456789012"),
        ({"describe_vpcs": {"Vpcs": []}}, ("describe_subnets", "describe_route_tables", "describe_vpc_endpoints", *VPC_CHECKS),
         "network", f"network        PROBLEM: {VPC} not found; set vpc_id or tag the VPC"),
        ({"describe_route_tables": {"RouteTables": ROUTE_TABLES[:1]}}, ("describe_vpc_endpoint_services",),
         "network", "network        PROBLEM: 0 public subnets in 0 AZs by route tables (need 2 in 2 AZs): tag them, or set public_subnet_ids"),
        ({"describe_vpc_endpoints": {"VpcEndpoints": [{"ServiceName": "com.amazonaws.us-east-1.ecr.api", "PrivateDnsEnabled": True,
          "VpcEndpointType": "Interface"}, {"ServiceName": "com.amazonaws.us-east-1.s3", "VpcEndpointType": "Gateway",
          "RouteTableIds": ["rtb-privat01"]}]}}, (),
         "endpoints", "endpoints      PROBLEM: the VPC already has com.amazonaws.us-east-1.ecr.api, com.amazonaws.us-east-1.s3 on "
         "rtb-privat01: set vpc_endpoints false (the tasks use those), or import them (docs/alarms.md#troubleshooting)"),
        ({"describe_vpc_endpoint_services": {"ServiceDetails": [*offered(ECR_API, LOGS, SECRETS)["ServiceDetails"],
          *offered(ECR_DKR, zones=("us-east-1a", "us-east-1c"))["ServiceDetails"]]}}, (),
         "endpoint AZs", "endpoint AZs   PROBLEM: com.amazonaws.us-east-1.ecr.dkr not offered in us-east-1b: choose private subnets in "
         "AZs that offer them (private_subnet_ids), or set vpc_endpoints false"),
        ({"describe_vpc_endpoint_services": offered(ECR_API, ECR_DKR, SECRETS)}, (),
         "endpoint AZs", "endpoint AZs   PROBLEM: com.amazonaws.us-east-1.logs not offered in us-east-1: choose private subnets in AZs "
         "that offer them (private_subnet_ids), or set vpc_endpoints false"),
        ({"describe_vpc_attribute": dns(False, False)}, (),
         "VPC DNS", f"VPC DNS        PROBLEM: enableDnsSupport and enableDnsHostnames off in {VPC}: the endpoints' private DNS needs "
         f"both; turn on (aws ec2 modify-vpc-attribute --vpc-id {VPC} --enable-dns-support; aws ec2 modify-vpc-attribute --vpc-id "
         f"{VPC} --enable-dns-hostnames), or set vpc_endpoints false"),
        ({"describe_images": ("error", "ImageNotFoundException")}, (),
         "image", "image          PROBLEM: wallet-service:v1.2.3 not in ECR (ImageNotFoundException): push it first"),
        ({"describe_certificate": {"Certificate": {"CertificateArn": CERT, "DomainName": "wallet.example.com", "Status": "PENDING_VALIDATION"}}}, (),
         "certificate", f"certificate    PROBLEM: {CERT} is PENDING_VALIDATION, not ISSUED: finish its validation"),
        ({"list_tags_for_certificate": {"Tags": [{"Key": "Name", "Value": "wallet-staging"}]}}, ("describe_certificate",),
         "certificate", "certificate    PROBLEM: no issued certificate tagged Name=wallet-prod: issue one, or set certificate_arn"),
        ({"head_bucket": ("error", "404", 404)}, ("get_bucket_versioning", "get_bucket_encryption"),
         "state bucket", f"state bucket   PROBLEM: {BUCKET} not found or not yours: bootstrap the wallet-state stack (docs/runbook.md#1-bootstrap-the-state-bucket-once)"),
        ({"get_bucket_versioning": {"Status": "Suspended"}}, ("get_bucket_encryption",),
         "state bucket", f"state bucket   PROBLEM: {BUCKET} is not versioned: enable versioning (the wallet-state stack does)"),
        ({"list_subscriptions_by_topic": {"Subscriptions": [{"SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT, "Protocol": "email",
          "Endpoint": "oncall@example.com", "TopicArn": TOPIC}]}}, (),
         "alarm e-mails", "alarm e-mails  PROBLEM: not confirmed: oncall@example.com: click the link in AWS's e-mail"),
    ],
    ids=["other-account", "no-vpc", "no-public-subnets", "endpoints-in-the-way", "endpoint-service-not-in-an-az",
         "endpoint-service-not-in-the-region", "vpc-dns-off", "no-image", "certificate-pending", "certificate-not-tagged",
         "no-state-bucket", "bucket-not-versioned", "e-mail-unconfirmed"],
)  # fmt: skip
def test_each_problem_is_one_line_and_fails_the_command(changes: dict[str, Any], drop: tuple[str, ...], check: str, line: str) -> None:
    code, lines = preflight_with(changes, drop=drop)
    assert code == 1
    assert problem(lines, check) == line
    assert lines[-1] == "wallet-prod: 1 problem(s)"


def test_an_ecs_exec_endpoint_is_in_the_way_only_where_ecs_exec_is_on() -> None:
    """The stack creates the Session Manager endpoint only with ECS Exec, so only then does an existing one clash."""
    ssm = {
        "VpcEndpoints": [{"ServiceName": "com.amazonaws.us-east-1.ssmmessages", "PrivateDnsEnabled": True, "VpcEndpointType": "Interface"}]
    }
    code, lines = preflight_with({"describe_vpc_endpoints": ssm})
    assert (code, problem(lines, "endpoints")) == (0, "endpoints      ok (none in the way)")
    ssm_too = "com.amazonaws.us-east-1.ssmmessages"
    code, lines = preflight_with(
        {"describe_vpc_endpoints": ssm, "describe_vpc_endpoint_services": offered(ECR_API, ECR_DKR, LOGS, SECRETS, ssm_too)},
        target=prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT], enable_ecs_exec=True),
        params={"describe_vpc_endpoint_services": asked_for(ECR_API, ECR_DKR, LOGS, SECRETS, ssm_too)},
    )
    assert (code, problem(lines, "endpoints")) == (
        1,
        "endpoints      PROBLEM: the VPC already has com.amazonaws.us-east-1.ssmmessages: set vpc_endpoints false (the tasks use "
        "those), or import them (docs/alarms.md#troubleshooting)",
    )


def test_an_unset_state_bucket_is_the_one_wallet_state_names_after_the_account() -> None:
    derived = "wallet-service-terraform-state-123456789012-us-east-1"
    # allowed_account_ids with one account: the name is known at synth, so the backend has it.
    code, lines = preflight_with(target=prod(allowed_account_ids=[ACCOUNT]), bucket=derived)
    assert code == 0
    assert problem(lines, "state bucket") == f"state bucket   ok ({derived})"
    # Any account: the bucket wallet-state made in this account is found, and the missing setting named.
    code, lines = preflight_with(target=prod(), bucket=derived, drop=("get_bucket_versioning", "get_bucket_encryption"))
    assert code == 1
    assert problem(lines, "state bucket") == (
        f"state bucket   PROBLEM: {derived} exists but state_bucket is not set: set it under the context key 'wallet'"
    )


def test_before_the_first_deploy_the_subscriptions_wait(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = preflight_with({"list_subscriptions_by_topic": ("error", "NotFound", 404)})
    assert code == 0
    assert problem(lines, "alarm e-mails") == "alarm e-mails  ok (topic not deployed yet: confirm the e-mails after the first deploy)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["wallet-sandbox", "v1"],
            f"error: stack: 'wallet-sandbox' is not valid; expected one of {stack_choices()}\n",
        ),
        (
            ["wallet-prod", "v1 beta"],
            "error: image_tag: 'v1 beta' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -\n",
        ),
    ],
    ids=["unknown-stack", "bad-tag"],
)
def test_bad_input_is_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CDKTF_CONTEXT_JSON", raising=False)
    assert preflight.main(argv) == 2
    assert capsys.readouterr().err == message


# Every check the command performs, each with its failing and its passing path below (issue 22, item 7): a check that no
# longer finds its problem turns one of these red.
CHECKS = {
    "check_account": "account",
    "check_network": "network",
    "check_endpoints": "endpoints",
    "check_endpoint_zones": "endpoint AZs",
    "check_vpc_dns": "VPC DNS",
    "check_image": "image",
    "check_database_class": "database class",
    "check_certificate": "certificate",
    "check_state_bucket": "state bucket",
    "check_subscriptions": "alarm e-mails",
}


def test_the_checks_are_the_ones_tested_here() -> None:
    """A new check needs its tests here: its failing and passing lines."""
    assert sorted(name for name in vars(preflight) if name.startswith("check_")) == sorted(CHECKS)
    _, lines = preflight_with()
    assert [line[:14].rstrip() for line in lines[:-1]] == list(CHECKS.values())


def of_tier(tier: str, **settings: Any) -> config.EnvironmentConfig:
    """The first environment of ``tier`` (tests/expected.py), in this file's account and VPC, with ``settings``."""
    stack = next(stack for stack, expected in EXPECTED.items() if expected.tier == tier)
    context = {"wallet": {"state_bucket": BUCKET, "allowed_account_ids": [ACCOUNT]}, stack: {"vpc_id": VPC, **settings}}
    [chosen] = [c for c in config.load(context) if c.stack_name == stack]
    return chosen


TAGGED = [subnet("subnet-0000000a", "us-east-1a", **{"aws-cdk:subnet-type": "Private"}),
          subnet("subnet-0000000b", "us-east-1b", **{"aws-cdk:subnet-type": "Private"}),
          subnet("subnet-0000000c", "us-east-1a", **{"aws-cdk:subnet-type": "Public"}),
          subnet("subnet-0000000d", "us-east-1b", **{"aws-cdk:subnet-type": "Public"})]  # fmt: skip
ONE_ZONE = [subnet("subnet-0000000a", "us-east-1a"), subnet("subnet-0000000b", "us-east-1a"), *SUBNETS[2:]]


@pytest.mark.parametrize(
    ("changes", "drop", "line"),
    [
        ({"describe_subnets": {"Subnets": ONE_ZONE}}, ("describe_vpc_endpoint_services",),
         "network        PROBLEM: 2 private subnets in 1 AZs by route tables (need 2 in 2 AZs): tag them, or set private_subnet_ids"),
        ({"describe_subnets": {"Subnets": [SUBNETS[0], SUBNETS[2]]}}, ("describe_vpc_endpoint_services",),
         "network        PROBLEM: 1 private subnets in 1 AZs by route tables (need 2 in 2 AZs): tag them, or set private_subnet_ids; "
         "1 public subnets in 1 AZs by route tables (need 2 in 2 AZs): tag them, or set public_subnet_ids"),
        ({"describe_route_tables": {"RouteTables": [ROUTE_TABLES[0], ROUTE_TABLES[1],
          {**ROUTE_TABLES[2], "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123abcd"}]}]}}, ("describe_vpc_endpoint_services",),
         "network        PROBLEM: 0 private subnets in 0 AZs by route tables (need 2 in 2 AZs): tag them, or set private_subnet_ids"),
        ({"describe_images": ("error", "RepositoryNotFoundException")}, (),
         "image          PROBLEM: wallet-service:v1.2.3 not in ECR (RepositoryNotFoundException): push it first"),
        ({"head_bucket": ("error", "403", 403)}, ("get_bucket_versioning", "get_bucket_encryption"),
         f"state bucket   PROBLEM: {BUCKET} not found or not yours: bootstrap the wallet-state stack (docs/runbook.md#1-bootstrap-the-state-bucket-once)"),
        ({"get_bucket_encryption": ("error", "ServerSideEncryptionConfigurationNotFoundError", 404)}, (),
         f"state bucket   PROBLEM: {BUCKET} has no default encryption: bootstrap it with the wallet-state stack"),
        ({"list_subscriptions_by_topic": {"Subscriptions": [{"SubscriptionArn": f"{TOPIC}:0f1e2d3c", "Owner": ACCOUNT,
          "Protocol": "email-json", "Endpoint": "oncall@example.com", "TopicArn": TOPIC}]}}, (),
         "alarm e-mails  PROBLEM: not confirmed: oncall@example.com: click the link in AWS's e-mail"),
    ],
    ids=["private-subnets-in-one-az", "one-subnet-of-each-kind", "no-private-subnets", "no-repository", "bucket-forbidden",
         "bucket-not-encrypted", "confirmed-for-another-protocol"],
)  # fmt: skip
def test_more_problems_each_one_line(changes: dict[str, Any], drop: tuple[str, ...], line: str) -> None:
    code, lines = preflight_with(changes, drop=drop)
    assert (code, problem(lines, line[:14].rstrip()), lines[-1]) == (1, line, "wallet-prod: 1 problem(s)")


@pytest.mark.parametrize(
    ("answer", "line"),
    [
        (orderable("db.t3.small"),
         "database class PROBLEM: db.t3.small, db.t4g.micro not offered for PostgreSQL 17 in us-east-1: choose another class "
         "(aws rds describe-orderable-db-instance-options --engine postgres --region us-east-1 lists them)"),
        (orderable("db.t3.small", "16.8", "16.9"),
         "database class PROBLEM: db.t3.small, db.t4g.micro not offered for PostgreSQL 17 in us-east-1: choose another class "
         "(aws rds describe-orderable-db-instance-options --engine postgres --region us-east-1 lists them)"),
    ],
    ids=["not-in-the-region", "only-another-major"],
)  # fmt: skip
def test_a_class_rds_does_not_offer_in_the_region_is_one_line(answer: dict[str, Any], line: str) -> None:
    code, lines = preflight_with({ORDERABLE: answer})
    assert (code, problem(lines, "database class"), lines[-1]) == (1, line, "wallet-prod: 1 problem(s)")


def test_the_database_class_alone_without_restore_tests() -> None:
    """Restore tests off (the development tier): only the database's class is asked for; 17.10 is major 17, 1.7 is not."""
    target = of_tier("development", db_instance_class="db.m7g.large")
    assert not target.restore_testing and preflight.database_classes(target) == ["db.m7g.large"]
    assert preflight.check_database_class(stubbed_rds([orderable("db.m7g.large", "17.10")]), target) == preflight.Result(
        "database class", detail="db.m7g.large, PostgreSQL 17"
    )
    assert preflight.check_database_class(stubbed_rds([orderable("db.m7g.large", "1.7")]), target).problem is not None


def test_every_page_of_the_offered_options_is_read() -> None:
    """RDS answers in pages (Marker): PostgreSQL 17 on the second page still counts."""
    target = of_tier("development", db_instance_class="db.m7g.large")
    first = {**orderable("db.m7g.large", "16.8"), "Marker": "page-2"}
    request = {"Engine": "postgres", "DBInstanceClass": "db.m7g.large", "Vpc": True}
    clients = stubbed_rds([first, orderable("db.m7g.large", "17.4")], [request, {**request, "Marker": "page-2"}])
    assert preflight.check_database_class(clients, target).problem is None


def stubbed_rds(answers: list[dict[str, Any]], requests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Clients with an RDS client that gives ``answers`` in order, one page each, checked against the API model."""
    client = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1").client("rds")
    stub = Stubber(client)
    for index, answer in enumerate(answers):
        stub.add_response(ORDERABLE, answer, requests[index] if requests else None)
    stub.activate()
    return {"rds": client}


def test_every_problem_is_counted() -> None:
    code, lines = preflight_with(
        {"describe_images": ("error", "ImageNotFoundException"), "get_bucket_versioning": {"Status": "Suspended"}},
        drop=("get_bucket_encryption",),
    )
    assert (code, [line[:14].rstrip() for line in lines if "PROBLEM" in line], lines[-1]) == (
        1,
        ["image", "state bucket"],
        "wallet-prod: 2 problem(s)",
    )


def test_any_account_passes_without_allowed_account_ids() -> None:
    other = "210987654321"
    topic = TOPIC.replace(ACCOUNT, other)
    code, lines = preflight_with(
        {
            "get_caller_identity": {"UserId": "AIDAEXAMPLE", "Account": other, "Arn": f"arn:aws:iam::{other}:user/deployer"},
            "list_subscriptions_by_topic": {"Subscriptions": [{"SubscriptionArn": f"{topic}:0f1e2d3c", "Owner": other,
                                            "Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": topic}]},
        },
        target=prod(state_bucket=BUCKET),
        params={"list_subscriptions_by_topic": {"TopicArn": topic}},
    )  # fmt: skip
    assert (code, problem(lines, "account")) == (0, "account        ok (210987654321)")


def test_the_vpc_is_found_by_its_name_tag_without_vpc_id() -> None:
    context = {"wallet": {"state_bucket": BUCKET, "allowed_account_ids": [ACCOUNT]}, "wallet-prod": {"vpc_id": None}}
    [target] = [c for c in config.load(context) if c.stack_name == "wallet-prod"]
    by_tag = {"describe_vpcs": {"Filters": [{"Name": "tag:Name", "Values": ["wallet-prod"]}]}}
    code, lines = preflight_with(target=target, params=by_tag, drop=("list_subscriptions_by_topic",))
    assert (code, problem(lines, "network")) == (0, f"network        ok ({VPC}: 2 private by route tables, 2 public by route tables)")
    code, lines = preflight_with(
        {"describe_vpcs": {"Vpcs": []}},
        target=target,
        params=by_tag,
        drop=("describe_subnets", "describe_route_tables", "describe_vpc_endpoints", *VPC_CHECKS, "list_subscriptions_by_topic"),
    )
    assert (code, problem(lines, "network")) == (
        1,
        "network        PROBLEM: a VPC tagged Name=wallet-prod not found; set vpc_id or tag the VPC",
    )
    assert problem(lines, "endpoints") == "endpoints      ok (not checked: no VPC)"
    assert problem(lines, "endpoint AZs") == "endpoint AZs   ok (not checked: no VPC)"
    assert problem(lines, "VPC DNS") == "VPC DNS        ok (not checked: no VPC)"


def test_subnets_by_tags_before_route_tables_and_by_ids_before_tags() -> None:
    all_private = {"describe_route_tables": {"RouteTables": ROUTE_TABLES[:1]}}  # by route table: no public subnet at all
    code, lines = preflight_with({"describe_subnets": {"Subnets": TAGGED}, **all_private})
    assert (code, problem(lines, "network")) == (0, f"network        ok ({VPC}: 2 private by tags, 2 public by tags)")
    by_ids = prod(
        state_bucket=BUCKET, allowed_account_ids=[ACCOUNT],
        private_subnet_ids=["subnet-0000000c", "subnet-0000000d"], public_subnet_ids=["subnet-0000000a", "subnet-0000000b"],
    )  # fmt: skip
    code, lines = preflight_with({"describe_subnets": {"Subnets": TAGGED}}, target=by_ids)
    assert (code, problem(lines, "network")) == (0, f"network        ok ({VPC}: 2 private by ids, 2 public by ids)")
    # Ids not in the VPC are not found there.
    elsewhere = prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT], private_subnet_ids=["subnet-0000000a", "subnet-0000000f"])
    code, lines = preflight_with(target=elsewhere, drop=("describe_vpc_endpoint_services",))
    assert problem(lines, "endpoint AZs") == "endpoint AZs   ok (not checked: no private subnets selected)"
    assert (code, problem(lines, "network")) == (
        1,
        "network        PROBLEM: 1 private subnets in 1 AZs by ids (need 2 in 2 AZs): tag them, or set private_subnet_ids",
    )


def test_endpoints_not_in_the_way() -> None:
    """An interface endpoint without private DNS, an S3 gateway on other route tables and an S3 interface endpoint leave
    the apply alone; with vpc_endpoints off nothing is looked at."""
    harmless = {
        "VpcEndpoints": [
            {"ServiceName": "com.amazonaws.us-east-1.ecr.api", "PrivateDnsEnabled": False, "VpcEndpointType": "Interface"},
            {"ServiceName": "com.amazonaws.us-east-1.s3", "VpcEndpointType": "Gateway", "RouteTableIds": ["rtb-public01"]},
            {"ServiceName": "com.amazonaws.us-east-1.s3", "VpcEndpointType": "Interface", "PrivateDnsEnabled": False,
             "RouteTableIds": ["rtb-privat01"]},
        ]
    }  # fmt: skip
    code, lines = preflight_with({"describe_vpc_endpoints": harmless})
    assert (code, problem(lines, "endpoints")) == (0, "endpoints      ok (none in the way)")
    off = prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT], vpc_endpoints=False)
    code, lines = preflight_with(target=off, drop=("describe_vpc_endpoints", *VPC_CHECKS))
    assert (code, problem(lines, "endpoints")) == (0, "endpoints      ok (vpc_endpoints off)")
    assert (problem(lines, "endpoint AZs"), problem(lines, "VPC DNS")) == (
        "endpoint AZs   ok (vpc_endpoints off)",
        "VPC DNS        ok (vpc_endpoints off)",
    )


XRAY = "com.amazonaws.us-east-1.xray"


def test_a_sidecars_endpoint_is_in_the_way_only_with_that_sidecar() -> None:
    xray = {"VpcEndpoints": [{"ServiceName": "com.amazonaws.us-east-1.xray", "PrivateDnsEnabled": True, "VpcEndpointType": "Interface"}]}
    code, lines = preflight_with({"describe_vpc_endpoints": xray})
    assert (code, problem(lines, "endpoints")) == (0, "endpoints      ok (none in the way)")
    collector = prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT], sidecars=[ADOT_COLLECTOR])
    code, lines = preflight_with(
        {"describe_vpc_endpoints": xray, "describe_vpc_endpoint_services": offered(ECR_API, ECR_DKR, LOGS, SECRETS, XRAY)},
        target=collector,
        params={"describe_vpc_endpoint_services": asked_for(ECR_API, ECR_DKR, LOGS, SECRETS, XRAY)},
    )
    assert (code, problem(lines, "endpoints")) == (
        1,
        "endpoints      PROBLEM: the VPC already has com.amazonaws.us-east-1.xray: set vpc_endpoints false (the tasks use "
        "those), or import them (docs/alarms.md#troubleshooting)",
    )


def test_a_certificate_by_arn_is_described_not_looked_up() -> None:
    by_arn = prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT], certificate_arn=CERT, certificate_tags={})
    code, lines = preflight_with(target=by_arn, drop=("list_certificates", "list_tags_for_certificate"))
    assert (code, problem(lines, "certificate")) == (0, "certificate    ok (wallet.example.com)")
    pending = {"Certificate": {"CertificateArn": CERT, "DomainName": "wallet.example.com", "Status": "EXPIRED"}}
    code, lines = preflight_with({"describe_certificate": pending}, target=by_arn, drop=("list_certificates", "list_tags_for_certificate"))
    assert (code, problem(lines, "certificate")) == (1, f"certificate    PROBLEM: {CERT} is EXPIRED, not ISSUED: finish its validation")


def test_the_tagged_certificate_is_picked_among_others() -> None:
    other = CERT.replace("0f1e2d3c", "99999999")
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    acm = session.client("acm")
    with Stubber(acm) as stub:
        stub.add_response(
            "list_certificates",
            {"CertificateSummaryList": [{"CertificateArn": other}, {"CertificateArn": CERT}]},
            {"CertificateStatuses": ["ISSUED"]},
        )
        stub.add_response("list_tags_for_certificate", {"Tags": [{"Key": "Name", "Value": "wallet-staging"}]}, {"CertificateArn": other})
        stub.add_response("list_tags_for_certificate", {"Tags": [{"Key": "Name", "Value": "wallet-prod"}]}, {"CertificateArn": CERT})
        stub.add_response(
            "describe_certificate",
            {"Certificate": {"CertificateArn": CERT, "DomainName": "pay.example.com", "Status": "ISSUED"}},
            {"CertificateArn": CERT},
        )
        assert preflight.check_certificate({"acm": acm}, PROD).line() == "certificate    ok (pay.example.com)"
        stub.assert_no_pending_responses()  # fmt: skip


def test_without_certificate_or_e_mails_nothing_is_looked_up() -> None:
    """Where a tier may serve plain HTTP (not production) and no e-mail is configured, those checks pass unasked."""
    tier = next(e.tier for e in EXPECTED.values() if e.tier != "production")
    # ECS Exec off: the endpoint services asked for are READY's four whatever the tier's default.
    target = of_tier(tier, certificate_arn=None, certificate_tags={}, alarm_emails=[], enable_ecs_exec=False)
    code, lines = preflight_with(target=target, drop=("list_certificates", "list_tags_for_certificate", "describe_certificate",
                                                      "list_subscriptions_by_topic"))  # fmt: skip
    assert code == 0
    assert (problem(lines, "certificate"), problem(lines, "alarm e-mails"), lines[-1]) == (
        "certificate    ok (none configured: plain HTTP)",
        "alarm e-mails  ok (none configured)",
        f"{target.stack_name}: ready for the first plan",
    )


@pytest.mark.parametrize(
    ("changes", "drop"),
    [
        ({"describe_images": ("error", "AccessDeniedException")}, ()),
        ({"head_bucket": ("error", "500", 500)}, ("get_bucket_versioning", "get_bucket_encryption")),
        ({"get_bucket_encryption": ("error", "AccessDenied", 403)}, ()),
        ({"list_subscriptions_by_topic": ("error", "AuthorizationError", 403)}, ()),
        ({ORDERABLE: ("error", "AccessDenied")}, ()),
        ({"describe_vpc_endpoint_services": ("error", "UnauthorizedOperation", 403)}, ()),
        ({"describe_vpc_attribute": ("error", "UnauthorizedOperation", 403)}, ()),
    ],
    ids=[
        "image-access-denied",
        "bucket-server-error",
        "encryption-access-denied",
        "topic-access-denied",
        "orderable-access-denied",
        "endpoint-services-unauthorized",
        "vpc-attribute-unauthorized",
    ],
)
def test_other_aws_errors_are_not_mistaken_for_the_problem(changes: dict[str, Any], drop: tuple[str, ...]) -> None:
    """Only the error codes that mean the problem become its line; any other AWS error ends the command (exit 2 with
    its one line: tests/test_aws_errors.py)."""
    code = next(iter(changes.values()))[1]
    with pytest.raises(ClientError, match=code):
        preflight_with(changes, drop=drop)


def stubbed_ec2(calls: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> tuple[dict[str, Any], Stubber]:
    """Clients with an EC2 client that answers ``calls`` (operation, answer, expected request) in order."""
    client = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1").client("ec2")
    stub = Stubber(client)
    for operation, answer, request in calls:
        stub.add_response(operation, answer, request)
    stub.activate()
    return {"ec2": client}, stub


@pytest.mark.parametrize(
    ("support", "hostnames", "line"),
    [
        (True, False, f"VPC DNS        PROBLEM: enableDnsHostnames off in {VPC}: the endpoints' private DNS needs both; turn on "
                      f"(aws ec2 modify-vpc-attribute --vpc-id {VPC} --enable-dns-hostnames), or set vpc_endpoints false"),
        (False, True, f"VPC DNS        PROBLEM: enableDnsSupport off in {VPC}: the endpoints' private DNS needs both; turn on "
                      f"(aws ec2 modify-vpc-attribute --vpc-id {VPC} --enable-dns-support), or set vpc_endpoints false"),
    ],
    ids=["hostnames-off", "support-off"],
)  # fmt: skip
def test_private_dns_needs_both_vpc_attributes(support: bool, hostnames: bool, line: str) -> None:
    """Each attribute is asked for on its own (DescribeVpcAttribute takes one) and read from its own key."""
    clients, stub = stubbed_ec2(
        [
            ("describe_vpc_attribute", {"VpcId": VPC, "EnableDnsSupport": {"Value": support}}, {"VpcId": VPC, "Attribute": "enableDnsSupport"}),
            ("describe_vpc_attribute", {"VpcId": VPC, "EnableDnsHostnames": {"Value": hostnames}},
             {"VpcId": VPC, "Attribute": "enableDnsHostnames"}),
        ]
    )  # fmt: skip
    assert preflight.check_vpc_dns(clients, PROD, VPC).line() == line
    stub.assert_no_pending_responses()


def test_every_page_of_the_endpoint_services_is_read() -> None:
    """EC2 answers DescribeVpcEndpointServices in pages (NextToken): services on the second page count."""
    first = {**offered(ECR_API, ECR_DKR), "NextToken": "page-2"}
    clients, stub = stubbed_ec2(
        [
            ("describe_vpc_endpoint_services", first, asked_for(ECR_API, ECR_DKR, LOGS, SECRETS)),
            ("describe_vpc_endpoint_services", offered(LOGS, SECRETS), {**asked_for(ECR_API, ECR_DKR, LOGS, SECRETS), "NextToken": "page-2"}),
        ]
    )  # fmt: skip
    assert (
        preflight.check_endpoint_zones(clients, PROD, VPC, SUBNETS[:2]).line() == "endpoint AZs   ok (4 services in us-east-1a, us-east-1b)"
    )
    stub.assert_no_pending_responses()


# Private subnets (tagged) a and e in us-east-1b, b in us-east-1a: one per AZ is a (1b) and b (1a); by id a comes first,
# so with vpc_endpoint_azs 1 the endpoints are in us-east-1b, though us-east-1a sorts first.
FIRST_BY_ID = [subnet("subnet-0000000a", "us-east-1b", **{"aws-cdk:subnet-type": "Private"}),
               subnet("subnet-0000000b", "us-east-1a", **{"aws-cdk:subnet-type": "Private"}),
               subnet("subnet-0000000e", "us-east-1b", **{"aws-cdk:subnet-type": "Private"}),
               *TAGGED[2:]]  # fmt: skip


def test_with_vpc_endpoint_azs_only_the_first_subnets_by_id_count() -> None:
    assert [s["SubnetId"] for s in preflight.endpoint_subnets(FIRST_BY_ID[:3], None)] == ["subnet-0000000a", "subnet-0000000b"]
    assert [s["SubnetId"] for s in preflight.endpoint_subnets(FIRST_BY_ID[:3], 1)] == ["subnet-0000000a"]
    one = prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT], vpc_endpoint_azs=1)
    services = (ECR_API, ECR_DKR, LOGS, SECRETS)
    code, lines = preflight_with(
        {"describe_subnets": {"Subnets": FIRST_BY_ID}, "describe_vpc_endpoint_services": offered(*services, zones=("us-east-1b",))},
        target=one,
    )
    assert (code, problem(lines, "endpoint AZs")) == (0, "endpoint AZs   ok (4 services in us-east-1b)")
    code, lines = preflight_with(
        {"describe_subnets": {"Subnets": FIRST_BY_ID}, "describe_vpc_endpoint_services": offered(*services, zones=("us-east-1a",))},
        target=one,
    )
    assert (code, problem(lines, "endpoint AZs")) == (
        1,
        "endpoint AZs   PROBLEM: com.amazonaws.us-east-1.ecr.api, com.amazonaws.us-east-1.ecr.dkr, com.amazonaws.us-east-1.logs, "
        "com.amazonaws.us-east-1.secretsmanager not offered in us-east-1b: choose private subnets in AZs that offer them "
        "(private_subnet_ids), or set vpc_endpoints false",
    )


def test_more_endpoint_azs_than_the_private_subnets_have_is_one_line() -> None:
    """The plan would stop at the endpoints' precondition; the command says so first and asks EC2 nothing more."""
    three = prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT], vpc_endpoint_azs=3)
    code, lines = preflight_with(target=three, drop=("describe_vpc_endpoint_services",))
    assert (code, problem(lines, "endpoint AZs"), lines[-1]) == (
        1,
        "endpoint AZs   PROBLEM: vpc_endpoint_azs is 3, more than the 2 AZs of the private subnets: set it to 2 or less, or null",
        "wallet-prod: 1 problem(s)",
    )


def test_an_unauthorized_endpoint_check_ends_the_command_with_one_line() -> None:
    """The way main() runs the checks: an AWS error in them is the command's one line and exit 2."""
    from release import aws_errors

    def checks() -> int:
        denied = ("error", "UnauthorizedOperation", 403, "You are not authorized to perform this operation.")
        return preflight_with({"describe_vpc_attribute": denied})[0]

    lines: list[str] = []
    assert aws_errors.guarded("wallet-prod: preflight", aws_errors.where(PROD), checks, report=lines.append) == 2
    assert lines == [
        "error: wallet-prod: preflight (account 123456789012, us-east-1): AWS said UnauthorizedOperation: You are not authorized to "
        "perform this operation.; these credentials may not do this: use the role for this step (docs/runbook.md#prerequisites-for-real-deployments)"
    ]


ACCOUNTS = {
    "wallet": {"state_account_id": "333333333333"},
    "wallet-dev": {"account_id": "111111111111"},
    "wallet-staging": {"account_id": "111111111111"},
    "wallet-prod": {
        "account_id": "222222222222",
        "certificate_arn": "arn:aws:acm:us-east-1:222222222222:certificate/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b",
    },
}


def test_in_its_own_account_a_caller_that_cannot_assume_the_deploy_role_is_one_problem_and_nothing_is_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deploy role first (docs/accounts.md): refused, preflight says so in its line and asks AWS nothing else."""
    from release import credentials

    monkeypatch.setenv("CDKTF_CONTEXT_JSON", json.dumps(ACCOUNTS))
    asked: list[str] = []

    def refused(config: config.EnvironmentConfig, role: str) -> str:
        asked.append(f"{config.stack_name} {role}")
        return "refused: AccessDenied"

    monkeypatch.setattr(credentials, "act_as", refused)
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: pytest.fail("asked AWS after the role was refused"))
    assert preflight.main(["prod", "v1.2.3"]) == 1
    assert asked == ["wallet-prod deploy"]
    assert capsys.readouterr().out == "deploy role    PROBLEM: refused: AccessDenied\n"


def test_in_its_own_account_the_checks_run_as_the_deploy_role(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from release import credentials

    monkeypatch.setenv("CDKTF_CONTEXT_JSON", json.dumps(ACCOUNTS))
    monkeypatch.setattr(credentials, "act_as", lambda config, role: None)
    monkeypatch.setattr(preflight, "run", lambda clients, config, tag: 0)
    monkeypatch.setattr(boto3, "client", lambda name, **kwargs: name)
    assert preflight.main(["prod", "v1.2.3"]) == 0
    assert capsys.readouterr().out == ("deploy role    ok (arn:aws:iam::222222222222:role/wallet-service/wallet-service-deploy-prod)\n")
