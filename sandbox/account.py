"""An emulated AWS account, for the tests and the sandbox: the server, the account as Runbook 2 expects it, and how the
project's own commands are pointed at it.

The account is seeded with boto3 the way the runbook (docs/runbook.md#2-first-deploy-of-an-environment) expects a real one to be before the first plan: per
environment a VPC named ``wallet-<env>`` with two public and two private subnets in two Availability Zones (the VPCs of
alternate environments tag their subnets ``aws-cdk:subnet-type`` as AWS CDK does, and ``aws:cloudformation:stack-name``
as CloudFormation does to the resources of the stack CDK deploys; the others leave it to the route tables), the ECR
repository holding the image at RELEASES, and an issued certificate carrying ``certificate_tags`` where an
environment looks one up. The project's commands reach it through the environment (AWS_ENDPOINT_URL, test credentials)
and a Terraform CLI configuration file (the provider from its mirror); nothing in the project names it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import provider
from stacks import config
from stacks.config import EnvironmentConfig

ACCOUNT_ID = "123456789012"  # moto's account for any access key it does not know
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
RELEASES = ("v1.2.3", "v1.2.4")
"""The image tags in ECR: the first deploy's and the next release's."""
STARTUP_DIR = Path(__file__).resolve().parent / "startup"
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Requests to the emulator on 127.0.0.1 never go through a proxy the caller's environment names."""
# The caller's AWS settings that would point the commands elsewhere than at the emulator.
AWS_SETTINGS = (
    "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)  # fmt: skip
SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"
"""AWS_ENDPOINT_URL_<SERVICE> of the caller's would send that service elsewhere than AWS_ENDPOINT_URL: dropped too
(docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html)."""


def aws_settings_in(environment: Mapping[str, str]) -> list[str]:
    """The names of ``environment`` that would point the commands elsewhere than at the emulator."""
    return [name for name in environment if name in AWS_SETTINGS or name.startswith(SERVICE_ENDPOINT_PREFIX)]


@dataclass(frozen=True)
class Account:
    """The emulated account as its clients see it: by default ACCOUNT_ID, with the test credentials."""

    endpoint: str
    keys: tuple[tuple[str, str], ...] = tuple(CREDENTIALS.items())
    """Environment variable -> value: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for a role's, AWS_SESSION_TOKEN."""

    def client(self, service: str, region: str) -> Any:
        import boto3

        keys = {name.lower(): value for name, value in self.keys}
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region, **keys)

    def as_role(self, role_arn: str, region: str) -> Account:
        """The account of ``role_arn`` as that role sees it: the emulator maps the credentials of AssumeRole into the
        role's account (moto's multi-account support; it does not check that the role exists or trusts the caller)."""
        answer = self.client("sts", region).assume_role(RoleArn=role_arn, RoleSessionName="wallet-emulated")["Credentials"]
        names = ("AWS_ACCESS_KEY_ID", "AccessKeyId"), ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"), ("AWS_SESSION_TOKEN", "SessionToken")
        return Account(self.endpoint, tuple((name, str(answer[key])) for name, key in names))


class PortTakenError(Exception):
    """The port asked for is in use."""


class Emulator:
    """The server (sandbox/server.py) on 127.0.0.1 and ``port`` (None: a free one), as a process of its own (a session
    of its own: it outlives the process that started it until stopped). Raises PortTakenError where ``port`` is in use."""

    def __init__(self, log: Path, port: int | None = None) -> None:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port or 0))
            except OSError:
                raise PortTakenError(port) from None
            port = probe.getsockname()[1]
        self.port = port
        self.account = Account(f"http://127.0.0.1:{port}")
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sandbox.server", str(port)],
                cwd=Path(__file__).resolve().parent.parent,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_up(self, timeout_seconds: float = 60) -> None:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                with DIRECT.open(f"{self.account.endpoint}/moto-api/", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not start; its log: {self.log}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@dataclass(frozen=True)
class SeededEnvironment:
    vpc_id: str
    private_subnet_ids: list[str]
    public_subnet_ids: list[str]
    by_tags: bool
    """The subnets carry aws-cdk:subnet-type (else only their route tables tell)."""


def seed(emulator: Account, configs: list[EnvironmentConfig]) -> dict[str, SeededEnvironment]:
    """Stack name -> what was created for it (environments in the table's order)."""
    seeded = {}
    repositories = {(environment.region, environment.ecr_repository) for environment in configs}
    for region, repository in sorted(repositories):  # one per account and Region, shared by the environments
        ecr = emulator.client("ecr", region)
        ecr.create_repository(repositoryName=repository)
        for tag in RELEASES:
            ecr.put_image(repositoryName=repository, imageManifest=_manifest(tag), imageTag=tag)
    for index, environment in enumerate(configs):
        seeded[environment.stack_name] = _seed_vpc(emulator, environment, index, by_tags=index % 2 == 1)
        if environment.certificate_arn is None and environment.certificate_tags:
            acm = emulator.client("acm", environment.region)
            tags = aws_tags(environment.certificate_tags)
            arn = acm.request_certificate(DomainName=f"{environment.environment}.wallet.example.com", ValidationMethod="DNS", Tags=tags)
            status = acm.describe_certificate(CertificateArn=arn["CertificateArn"])["Certificate"]["Status"]
            assert status == "ISSUED", f"the emulator left the certificate {status}"  # validated: server.py SETTINGS
    return seeded


def _seed_vpc(emulator: Account, environment: EnvironmentConfig, index: int, *, by_tags: bool) -> SeededEnvironment:
    ec2 = emulator.client("ec2", environment.region)
    name = [{"Key": "Name", "Value": f"wallet-{environment.environment}"}]
    vpc = ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": name}])["Vpc"]["VpcId"]
    # Private DNS for the interface endpoints needs both (docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html),
    # and AWS CDK's VPCs have them.
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        ec2.modify_vpc_attribute(VpcId=vpc, **{attribute: {"Value": True}})
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    public_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    private_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    subnets: dict[str, list[str]] = {"Private": [], "Public": []}
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    for number, (kind, zone) in enumerate((kind, zone) for kind in subnets for zone in zones):
        tags = aws_tags(cdk_subnet_tags(environment, kind)) if by_tags else []
        subnet = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.{index}.{number}.0/24", AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}] if tags else [],
        )["Subnet"]["SubnetId"]  # fmt: skip
        ec2.associate_route_table(RouteTableId=public_table if kind == "Public" else private_table, SubnetId=subnet)
        subnets[kind].append(subnet)
    if by_tags:  # a private subnet of another CloudFormation stack in the VPC: only the aws: key tells it apart
        decoy = {**cdk_subnet_tags(environment, "Private"), "aws:cloudformation:stack-name": f"wallet-{environment.environment}-legacy"}
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.{index}.9.0/24", AvailabilityZone=zones[0],
            TagSpecifications=[{"ResourceType": "subnet", "Tags": aws_tags(decoy)}],
        )  # fmt: skip
    return SeededEnvironment(vpc, subnets["Private"], subnets["Public"], by_tags)


def aws_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    """Tags as the AWS APIs take them: [{"Key": ..., "Value": ...}]."""
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def cdk_subnet_tags(environment: EnvironmentConfig, kind: str) -> dict[str, str]:
    """The tags an AWS CDK VPC's ``kind`` (Private or Public) subnets carry: CDK's subnet type, and the stack name
    CloudFormation tags every resource of a stack with (an ``aws:`` key: nobody may set it, anybody may filter by it)."""
    return {"aws-cdk:subnet-type": kind, "aws:cloudformation:stack-name": f"wallet-{environment.environment}-network"}


def _manifest(tag: str) -> str:
    """A Docker image manifest; ECR's digest is its SHA-256, so each tag gets its own digest."""
    layer = {
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "size": len(tag),
        "digest": "sha256:" + tag.encode().hex().ljust(64, "0"),
    }
    config_blob = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1024, "digest": "sha256:" + "c" * 64}
    return json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": config_blob, "layers": [layer]}
    )


def context(configs: list[EnvironmentConfig], seeded: dict[str, SeededEnvironment], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``base`` (default: none, the table alone) plus what the emulated account needs: alarm e-mails for every
    environment where it names none, and the seeded VPC's id where the environment names a VPC by id (the table's ids
    are of accounts the emulator is not); where the subnets carry tags, they are selected by both of cdk_subnet_tags,
    the aws: key among them."""
    result: dict[str, Any] = {key: dict(value) if isinstance(value, dict) else value for key, value in (base or {}).items()}
    for environment in configs:
        settings = result.setdefault(environment.stack_name, {})
        if not environment.alarm_emails:
            settings["alarm_emails"] = [f"wallet-{environment.environment}-alerts@example.com"]
        _use_seeded_ids(settings, environment, seeded[environment.stack_name])
        if seeded[environment.stack_name].by_tags and not environment.private_subnet_ids:
            # a team selecting its subnets by the CloudFormation stack too (issue 22, item 8): lookups take aws: keys
            settings["private_subnet_tags"] = cdk_subnet_tags(environment, "Private")
            settings["public_subnet_tags"] = cdk_subnet_tags(environment, "Public")
    return result


def _use_seeded_ids(settings: dict[str, Any], environment: EnvironmentConfig, vpc: SeededEnvironment) -> None:
    """Where the context or the table names the VPC or subnets by id, the seeded ones' (the emulator makes its own
    ids; the table's dev VPC is of another account)."""
    if environment.vpc_id is not None:
        settings["vpc_id"] = vpc.vpc_id
    if environment.private_subnet_ids:
        settings["private_subnet_ids"] = vpc.private_subnet_ids
    if environment.public_subnet_ids:
        settings["public_subnet_ids"] = vpc.public_subnet_ids


def realistic(context: dict[str, Any], seeded: dict[str, SeededEnvironment], emulator: Account, bucket: str) -> dict[str, Any]:
    """A team's context (tests/test_realistic_context.py) made true of the emulated account: its VPC and subnet ids
    and certificate ARN become the seeded ones, and its state bucket is created (a bucket of its own: its plans must
    not wait for the locks of the defaults' runs)."""
    region = config.load(context)[0].state_region
    emulator.client("s3", region).create_bucket(Bucket=bucket)
    result = {key: dict(value) if isinstance(value, dict) else value for key, value in context.items()}
    result[config.SHARED_KEY]["state_bucket"] = bucket
    for environment in config.load(context):
        settings = result.setdefault(environment.stack_name, {})
        _use_seeded_ids(settings, environment, seeded[environment.stack_name])
        use_own_account(settings, environment, emulator)
    return result


def use_own_account(settings: dict[str, Any], environment: EnvironmentConfig, emulator: Account) -> None:
    """Where the context names a certificate by ARN or the accounts allowed, the emulated account's: a certificate
    requested there (issued at once: server.py SETTINGS) and ACCOUNT_ID (not where the environment names its account:
    allowed_account_ids follows from account_id then)."""
    if environment.certificate_arn is not None:
        acm = emulator.client("acm", environment.region)
        arn = acm.request_certificate(DomainName=f"{environment.stack_name}.wallet.example.com", ValidationMethod="DNS")["CertificateArn"]
        acm.describe_certificate(CertificateArn=arn)  # issued: server.py SETTINGS
        settings["certificate_arn"] = arn
    if environment.allowed_account_ids and environment.account_id is None:
        settings["allowed_account_ids"] = [ACCOUNT_ID]


def sandbox_context(
    base: dict[str, Any], configs: list[EnvironmentConfig], seeded: dict[str, SeededEnvironment], emulator: Account
) -> dict[str, Any]:
    """A project's own context (``base``, whose environments are ``configs``) made true of the emulated account for the
    sandbox: context() on it, and its certificate ARNs and allowed account ids the account's (the state bucket is
    added once Runbook 1 has made it)."""
    result = context(configs, seeded, base)
    for environment in configs:
        use_own_account(result[environment.stack_name], environment, emulator)
    return result


def command_environment(
    emulator: Account, choice: provider.ProviderChoice, work: Path, pipfile: Path, startup_dir: Path = STARTUP_DIR
) -> dict[str, str]:
    """The environment the project's commands run in: the caller's without AWS_SETTINGS (and without an output folder
    or context of its own), and emulator_variables."""
    dropped = {*aws_settings_in(os.environ), "CDKTF_OUTDIR", "CDKTF_CONTEXT_JSON"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    return {**env, **emulator_variables(emulator, choice, work, pipfile, startup_dir)}


def emulator_variables(
    emulator: Account,
    choice: provider.ProviderChoice,
    work: Path,
    pipfile: Path,
    startup_dir: Path = STARTUP_DIR,
    *,
    shared: bool = True,
) -> dict[str, str]:
    """What points the project's commands at the emulator: AWS is the emulator, Terraform installs ``choice`` (the CLI
    configuration file written to ``work``), Python starts with ``startup_dir``'s sitecustomize, pipenv uses
    ``pipfile``'s environment. ``shared``: several projects apply against the one emulator at once (the tests), so
    Terraform makes fewer requests at once; the sandbox's one user keeps Terraform's default of 10."""
    cli_config = work / "terraform.rc"
    cli_config.write_text(choice.cli_config())
    variables = {
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": emulator.endpoint,  # the provider, the S3 backend and boto3 (the scripts) all read it
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "PYTHONPATH": str(startup_dir),  # sandbox/startup/sitecustomize.py adapts what main.py synthesizes
        "WALLET_EMULATOR_PROVIDER": f"{choice.version}@{choice.mirror}" if choice.mirror else choice.version,
        "PIPENV_PIPFILE": str(pipfile),
        "PIPENV_VERBOSITY": "-1",
        # The emulator is on this machine: never through a proxy of the caller's (boto3 and Terraform read both names).
        "NO_PROXY": no_proxy(),
        "no_proxy": no_proxy(),
    }
    if shared:
        # Fewer requests at once against the one emulator process that all environments share: with Terraform's 10,
        # two runs on 2 cores saw a create answered "already exists" (DBParameterGroupAlreadyExists for a name
        # Terraform had just generated, InvalidPermission.Duplicate), that is, one request carried out twice under load.
        variables |= {"TF_CLI_ARGS_apply": "-parallelism=4", "TF_CLI_ARGS_destroy": "-parallelism=4"}
    return variables


def no_proxy() -> str:
    """The caller's NO_PROXY (or no_proxy) with the emulator's host added: 127.0.0.1 and localhost."""
    given = [item for item in (os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or "").split(",") if item]
    return ",".join([*given, *(host for host in ("127.0.0.1", "localhost") if host not in given)])


def wait_for_bucket(emulator: Account, bucket: str, region: str, *, until: Callable[[], bool], timeout_seconds: float = 300) -> bool:
    """True once ``bucket`` exists; False if ``until()`` turns true first (what would create it has ended) or on timeout."""
    s3, deadline = emulator.client("s3", region), time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            s3.head_bucket(Bucket=bucket)
            return True
        except s3.exceptions.ClientError:
            if until():
                return False
            time.sleep(0.5)
    return False


def pipenv() -> str:
    found = shutil.which("pipenv")
    if found is None:
        raise RuntimeError("pipenv is not on the PATH: install it as the README's first command does")
    return found
