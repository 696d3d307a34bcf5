"""`pipenv run preflight`, without AWS: every client answers from botocore's Stubber, which checks each request and
answer against the API model. An account where everything is in place, then each problem the command must name."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from release import preflight
from stacks import config
from tests.expected import stack_choices
from tests.vpcs import ROUTE_TABLES, SUBNETS, VPC, subnet

ACCOUNT = "123456789012"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
TOPIC = "arn:aws:sns:us-east-1:123456789012:wallet-service-prod-alarms"
BUCKET = "acme-wallet-terraform-state"
IN_VPC = [{"Name": "vpc-id", "Values": [VPC]}]


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


def preflight_with(
    changes: dict[str, Any] | None = None, *, drop: tuple[str, ...] = (), target: config.EnvironmentConfig = PROD, bucket: str = BUCKET
) -> tuple[int, list[str]]:
    """Runs the command for ``target`` against READY with some answers replaced (an answer of ("error", code) is an AWS
    error), some calls dropped (the command stops asking after a problem) and the state bucket asked for by ``bucket``."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    clients = {name: session.client(name) for name in ("sts", "ec2", "ecr", "acm", "s3", "sns")}
    stubs = {name: Stubber(client) for name, client in clients.items()}
    for client, operation, ready, params in READY:
        if operation in drop:
            continue
        answer = (changes or {}).get(operation, ready)
        if isinstance(answer, tuple):
            status = answer[2] if len(answer) > 2 else 400  # ("error", code) or ("error", code, HTTP status)
            stubs[client].add_client_error(operation, service_error_code=answer[1], http_status_code=status)
        else:
            stubs[client].add_response(operation, answer, {"Bucket": bucket} if client == "s3" else params)
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
        "image          ok (wallet-service:v1.2.3)",
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
         tuple(operation for _, operation, _, _ in READY[1:]),  # nothing else is looked at in the wrong account
         "account", "account        PROBLEM: the credentials are for 210987654321; allowed_account_ids: 123456789012"),
        ({"describe_vpcs": {"Vpcs": []}}, ("describe_subnets", "describe_route_tables", "describe_vpc_endpoints"),
         "network", f"network        PROBLEM: {VPC} not found; set vpc_id or tag the VPC"),
        ({"describe_route_tables": {"RouteTables": ROUTE_TABLES[:1]}}, (),
         "network", "network        PROBLEM: 0 public subnets in 0 AZs by route tables (need 2 in 2 AZs): tag them, or set public_subnet_ids"),
        ({"describe_vpc_endpoints": {"VpcEndpoints": [{"ServiceName": "com.amazonaws.us-east-1.ecr.api", "PrivateDnsEnabled": True,
          "VpcEndpointType": "Interface"}, {"ServiceName": "com.amazonaws.us-east-1.s3", "VpcEndpointType": "Gateway",
          "RouteTableIds": ["rtb-privat01"]}]}}, (),
         "endpoints", "endpoints      PROBLEM: the VPC already has com.amazonaws.us-east-1.ecr.api, com.amazonaws.us-east-1.s3 on "
         "rtb-privat01: set vpc_endpoints false (the tasks use those), or import them (README, Troubleshooting)"),
        ({"describe_images": ("error", "ImageNotFoundException")}, (),
         "image", "image          PROBLEM: wallet-service:v1.2.3 not in ECR (ImageNotFoundException): push it first"),
        ({"describe_certificate": {"Certificate": {"CertificateArn": CERT, "DomainName": "wallet.example.com", "Status": "PENDING_VALIDATION"}}}, (),
         "certificate", f"certificate    PROBLEM: {CERT} is PENDING_VALIDATION, not ISSUED: finish its validation"),
        ({"list_tags_for_certificate": {"Tags": [{"Key": "Name", "Value": "wallet-staging"}]}}, ("describe_certificate",),
         "certificate", "certificate    PROBLEM: no issued certificate tagged Name=wallet-prod: issue one, or set certificate_arn"),
        ({"head_bucket": ("error", "404", 404)}, ("get_bucket_versioning", "get_bucket_encryption"),
         "state bucket", f"state bucket   PROBLEM: {BUCKET} not found or not yours: bootstrap the wallet-state stack (README, Runbook 1)"),
        ({"get_bucket_versioning": {"Status": "Suspended"}}, ("get_bucket_encryption",),
         "state bucket", f"state bucket   PROBLEM: {BUCKET} is not versioned: enable versioning (the wallet-state stack does)"),
        ({"list_subscriptions_by_topic": {"Subscriptions": [{"SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT, "Protocol": "email",
          "Endpoint": "oncall@example.com", "TopicArn": TOPIC}]}}, (),
         "alarm e-mails", "alarm e-mails  PROBLEM: not confirmed: oncall@example.com: click the link in AWS's e-mail"),
    ],
    ids=["other-account", "no-vpc", "no-public-subnets", "endpoints-in-the-way", "no-image", "certificate-pending", "certificate-not-tagged",
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
    code, lines = preflight_with(
        {"describe_vpc_endpoints": ssm}, target=prod(state_bucket=BUCKET, allowed_account_ids=[ACCOUNT], enable_ecs_exec=True)
    )
    assert (code, problem(lines, "endpoints")) == (
        1,
        "endpoints      PROBLEM: the VPC already has com.amazonaws.us-east-1.ssmmessages: set vpc_endpoints false (the tasks use "
        "those), or import them (README, Troubleshooting)",
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
