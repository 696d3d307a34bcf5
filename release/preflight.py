"""`pipenv run preflight <stack> <image tag>`: read-only checks of the target account before the first plan.

    pipenv run preflight wallet-prod v1.2.3

One line per check, `ok` or `PROBLEM` with what to do; exit 1 when any check finds a problem, 2 for bad input. It only
reads (Describe/Get/List/Head calls): nothing is created or changed. The checks, in the order a plan would trip:

  deploy role    in an account of its own (account_id): the caller can assume the deploy role (the checks below then
                 read as it), and its credentials are for the environment's account
  account        the credentials' account is one of allowed_account_ids (when set)
  network        the VPC exists; its subnets classify into >= 2 private and >= 2 public in distinct AZs, by explicit
                 ids, else by the configured tags, else by their route tables (a route to an internet gateway makes
                 a subnet public), the way AWS CDK's Vpc.fromLookup does
  endpoints      with vpc_endpoints on: no interface endpoint of the same services with private DNS in the VPC, no S3
                 gateway endpoint on the private subnets' route tables (either makes the apply fail)
  endpoint AZs   with vpc_endpoints on: each interface endpoint service the stack creates is offered in every AZ that
                 gets its network interfaces (the private subnets one per AZ; the first vpc_endpoint_azs of them)
  VPC DNS        with vpc_endpoints on: the VPC has DNS support and DNS hostnames on (the endpoints' private DNS)
  image          the ECR repository holds the image tag
  database class RDS offers db_instance_class (and the restore tests' class) for PostgreSQL's major version in the
                 stack's Region (not every class is in every Region)
  certificate    certificate_arn (or the certificate tagged certificate_tags) is issued and names a domain
  state bucket   the state bucket exists, is versioned and encrypted
  alarm e-mails  every alarm_emails subscription of the deployed topic is confirmed (skipped before the first deploy)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.endpoint_services import interface_services
from stacks.config import EnvironmentConfig, state_bucket_name

PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    check: str
    problem: str | None = None
    """None: ok."""
    detail: str = ""

    def line(self) -> str:
        return f"{self.check:14} {'PROBLEM: ' + self.problem if self.problem else 'ok'}{' (' + self.detail + ')' if self.detail and not self.problem else ''}"


Clients = Mapping[str, Any]
"""boto3 clients by service name: sts, ec2, ecr, acm, s3, sns, rds."""


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def check_account(clients: Clients, config: EnvironmentConfig) -> tuple[Result, str]:
    """The account check, and the credentials' account."""
    account = str(clients["sts"].get_caller_identity()["Account"])
    if config.allowed_account_ids and account not in config.allowed_account_ids:
        return Result(
            "account", f"the credentials are for {account}; allowed_account_ids: {', '.join(config.allowed_account_ids)}"
        ), account
    return Result("account", detail=account), account


def _tagged(subnet: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
    own = {tag["Key"]: tag["Value"] for tag in subnet.get("Tags", [])}
    return bool(tags) and all(own.get(key) == value for key, value in tags.items())


def route_tables_of(subnets: Iterable[Mapping[str, Any]], route_tables: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Subnet id -> the route table it uses: its explicitly associated table, else the VPC's main table."""
    tables = list(route_tables)
    explicit = {a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    main = next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), {})
    return {subnet["SubnetId"]: explicit.get(subnet["SubnetId"], main) for subnet in subnets}


def classify(subnets: Iterable[Mapping[str, Any]], route_tables: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Subnet id -> "public" or "private" by route table (constructs_lib/network.py synthesizes the same rule): a route
    to an internet gateway (igw-...) in the table the subnet uses makes it public."""
    return {
        subnet: "public" if any(str(r.get("GatewayId", "")).startswith("igw-") for r in table.get("Routes", [])) else "private"
        for subnet, table in route_tables_of(subnets, route_tables).items()
    }


def _selected(
    kind: str, config: EnvironmentConfig, subnets: list[Mapping[str, Any]], by_route: Mapping[str, str]
) -> tuple[list[Mapping[str, Any]], str]:
    ids = config.private_subnet_ids if kind == "private" else config.public_subnet_ids
    tags = config.private_subnet_tags if kind == "private" else config.public_subnet_tags
    if ids:
        return [s for s in subnets if s["SubnetId"] in ids], "ids"
    tagged = [s for s in subnets if _tagged(s, tags)]
    if tagged:
        return tagged, "tags"
    return [s for s in subnets if by_route[s["SubnetId"]] == kind], "route tables"


Subnet = Mapping[str, Any]
"""A subnet as DescribeSubnets gives it (SubnetId, AvailabilityZone, ...)."""


def check_network(clients: Clients, config: EnvironmentConfig) -> tuple[Result, str | None, list[str], list[Subnet]]:
    """The network check, the VPC's id (None: not found), the private subnets' route table ids and the private subnets
    selected (both empty when the check found a problem)."""
    ec2 = clients["ec2"]
    filters = (
        [{"Name": "vpc-id", "Values": [config.vpc_id]}]
        if config.vpc_id
        else [{"Name": "tag:Name", "Values": [f"wallet-{config.environment}"]}]
    )
    vpcs = ec2.describe_vpcs(Filters=filters)["Vpcs"]
    if not vpcs:
        wanted = config.vpc_id or f"a VPC tagged Name=wallet-{config.environment}"
        return Result("network", f"{wanted} not found; set vpc_id or tag the VPC"), None, [], []
    vpc = vpcs[0]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    subnets = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    tables = ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
    by_route = classify(subnets, tables)
    found, problems = {}, []
    for kind in ("private", "public"):
        chosen, how = _selected(kind, config, subnets, by_route)
        zones = {s["AvailabilityZone"] for s in chosen}
        found[kind] = (chosen, how)
        if len(chosen) < 2 or len(zones) < 2:
            problems.append(
                f"{len(chosen)} {kind} subnets in {len(zones)} AZs by {how} (need 2 in 2 AZs): tag them, or set {kind}_subnet_ids"
            )
    if problems:
        return Result("network", "; ".join(problems)), vpc, [], []
    private = found["private"][0]
    table_of = route_tables_of(private, tables)
    detail = f"{vpc}: {len(private)} private by {found['private'][1]}, {len(found['public'][0])} public by {found['public'][1]}"
    return Result("network", detail=detail), vpc, sorted({table["RouteTableId"] for table in table_of.values() if table}), private


def check_endpoints(clients: Clients, config: EnvironmentConfig, vpc_id: str | None, route_table_ids: list[str]) -> Result:
    if not config.vpc_endpoints:
        return Result("endpoints", detail="vpc_endpoints off")
    if vpc_id is None:
        return Result("endpoints", detail="not checked: no VPC")
    existing = clients["ec2"].describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    ours = set(endpoint_service_names(config))
    clashes = [e["ServiceName"] for e in existing if e["ServiceName"] in ours and e.get("PrivateDnsEnabled")]
    s3 = f"com.amazonaws.{config.region}.s3"
    clashes += [
        f"{s3} on {t}"
        for e in existing
        if e["ServiceName"] == s3 and e.get("VpcEndpointType") == "Gateway"
        for t in e.get("RouteTableIds", [])
        if t in route_table_ids
    ]
    if clashes:
        return Result(
            "endpoints",
            f"the VPC already has {', '.join(sorted(clashes))}: set vpc_endpoints false (the tasks use those), or import them "
            "(docs/alarms.md#troubleshooting)",
        )
    return Result("endpoints", detail="none in the way")


def endpoint_subnets(private: Iterable[Subnet], az_count: int | None) -> list[Subnet]:
    """The private subnets that get a network interface of each interface endpoint, chosen as the stack chooses them:
    the first (by id) of each AZ's (constructs_lib/network.py, private_subnets_one_per_zone), then, with
    ``az_count`` (vpc_endpoint_azs), the first ``az_count`` of those by id (constructs_lib/vpc_endpoints.py)."""
    first: dict[str, Subnet] = {}
    for subnet in sorted(private, key=lambda s: str(s["SubnetId"])):
        first.setdefault(str(subnet["AvailabilityZone"]), subnet)
    chosen = sorted(first.values(), key=lambda s: str(s["SubnetId"]))
    return chosen if az_count is None else chosen[:az_count]


def endpoint_service_names(config: EnvironmentConfig) -> list[str]:
    """The interface endpoint services the stack creates (constructs_lib/endpoint_services.py), sorted."""
    services = interface_services(ecs_exec=config.enable_ecs_exec, extra=config.sidecar_aws_services).values()
    return sorted(f"com.amazonaws.{config.region}.{service}" for service in services)


def check_endpoint_zones(clients: Clients, config: EnvironmentConfig, vpc_id: str | None, private: Sequence[Subnet]) -> Result:
    """Each interface endpoint service the stack creates is offered in every AZ of the subnets that get its network
    interfaces. An interface endpoint takes subnets only "in different Availability Zones (as supported by the
    service)" (docs.aws.amazon.com/vpc/latest/userguide/vpce-interface.html; else CreateVpcEndpoint's InvalidParameter
    "does not support the availability zone of the subnet"). DescribeVpcEndpointServices names, per service, the AZs it
    is offered in, by the AZ names of the asking account, as DescribeSubnets does
    (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpointServices.html). Paginated (NextToken)."""
    if not config.vpc_endpoints:
        return Result("endpoint AZs", detail="vpc_endpoints off")
    if vpc_id is None:
        return Result("endpoint AZs", detail="not checked: no VPC")
    if not private:
        return Result("endpoint AZs", detail="not checked: no private subnets selected")
    subnets = endpoint_subnets(private, config.vpc_endpoint_azs)
    if config.vpc_endpoint_azs is not None and config.vpc_endpoint_azs > len(subnets):
        return Result(
            "endpoint AZs",
            f"vpc_endpoint_azs is {config.vpc_endpoint_azs}, more than the {len(subnets)} AZs of the private subnets: "
            f"set it to {len(subnets)} or less, or null",
        )
    wanted = endpoint_service_names(config)
    interface = [{"Name": "service-name", "Values": wanted}, {"Name": "service-type", "Values": ["Interface"]}]
    pages = clients["ec2"].get_paginator("describe_vpc_endpoint_services").paginate(Filters=interface)
    offered = {detail["ServiceName"]: set(detail.get("AvailabilityZones", [])) for page in pages for detail in page["ServiceDetails"]}
    zones = sorted({str(subnet["AvailabilityZone"]) for subnet in subnets})
    # Where each service is missing (the Region, or some of the AZs) -> those services, in the order asked.
    missing: dict[str, list[str]] = {}
    for service in wanted:
        where = config.region if service not in offered else ", ".join(zone for zone in zones if zone not in offered[service])
        if where:
            missing.setdefault(where, []).append(service)
    if missing:
        problems = "; ".join(f"{', '.join(services)} not offered in {where}" for where, services in missing.items())
        return Result(
            "endpoint AZs",
            f"{problems}: choose private subnets in AZs that offer them (private_subnet_ids), or set vpc_endpoints false",
        )
    return Result("endpoint AZs", detail=f"{len(wanted)} services in {', '.join(zones)}")


def check_vpc_dns(clients: Clients, config: EnvironmentConfig, vpc_id: str | None) -> Result:
    """DNS support (enableDnsSupport) and DNS hostnames (enableDnsHostnames) on in the VPC: the interface endpoints
    have private DNS, and "to use a private hosted zone, you must set the following VPC attributes to true:
    enableDnsHostnames and enableDnsSupport" (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpcEndpoint.html,
    PrivateDnsEnabled; DescribeVpcAttribute answers one attribute per call)."""
    if not config.vpc_endpoints:
        return Result("VPC DNS", detail="vpc_endpoints off")
    if vpc_id is None:
        return Result("VPC DNS", detail="not checked: no VPC")
    ec2, off = clients["ec2"], []
    for attribute, key, flag in (
        ("enableDnsSupport", "EnableDnsSupport", "--enable-dns-support"),
        ("enableDnsHostnames", "EnableDnsHostnames", "--enable-dns-hostnames"),
    ):
        if not ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute).get(key, {}).get("Value"):
            off.append((attribute, flag))
    if off:
        # ModifyVpcAttribute changes one attribute per request, and DNS hostnames only once DNS support is on
        # (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html): hence one command each, in order.
        commands = "; ".join(f"aws ec2 modify-vpc-attribute --vpc-id {vpc_id} {flag}" for _, flag in off)
        return Result(
            "VPC DNS",
            f"{' and '.join(name for name, _ in off)} off in {vpc_id}: the endpoints' private DNS needs both; turn on ({commands}), "
            "or set vpc_endpoints false",
        )
    return Result("VPC DNS", detail="DNS support and DNS hostnames on")


def check_image(clients: Clients, config: EnvironmentConfig, image_tag: str) -> Result:
    try:
        clients["ecr"].describe_images(repositoryName=config.ecr_repository, imageIds=[{"imageTag": image_tag}])
    except Exception as error:  # botocore's ClientError; the code says which
        code = _error_code(error)
        if code in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return Result("image", f"{config.ecr_repository}:{image_tag} not in ECR ({code}): push it first")
        raise
    return Result("image", detail=f"{config.ecr_repository}:{image_tag}")


def database_classes(config: EnvironmentConfig) -> list[str]:
    """The DB instance classes the stack runs: the database's, and the restored instance's where restore tests are on."""
    classes = [config.db_instance_class, *([config.restore_testing_db_instance_class] if config.restore_testing else [])]
    return list(dict.fromkeys(classes))


def check_database_class(clients: Clients, config: EnvironmentConfig) -> Result:
    """DescribeOrderableDBInstanceOptions for each class (docs.aws.amazon.com/AmazonRDS/latest/APIReference/
    API_DescribeOrderableDBInstanceOptions.html): offered in a VPC for some PostgreSQL db_engine_version.x in the Region
    (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.RegionSupport.html)."""
    paginator = clients["rds"].get_paginator("describe_orderable_db_instance_options")
    missing = []
    for instance_class in database_classes(config):
        pages = paginator.paginate(Engine="postgres", DBInstanceClass=instance_class, Vpc=True)
        versions = {option["EngineVersion"] for page in pages for option in page["OrderableDBInstanceOptions"]}
        if not any(version.split(".")[0] == config.db_engine_version for version in versions):
            missing.append(instance_class)
    if missing:
        return Result(
            "database class",
            f"{', '.join(missing)} not offered for PostgreSQL {config.db_engine_version} in {config.region}: choose another class "
            f"(aws rds describe-orderable-db-instance-options --engine postgres --region {config.region} lists them)",
        )
    return Result("database class", detail=f"{', '.join(database_classes(config))}, PostgreSQL {config.db_engine_version}")


def check_certificate(clients: Clients, config: EnvironmentConfig) -> Result:
    acm = clients["acm"]
    if config.certificate_arn is None and not config.certificate_tags:
        return Result("certificate", detail="none configured: plain HTTP")
    arns = [config.certificate_arn] if config.certificate_arn else [
        c["CertificateArn"] for c in acm.list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"]
    ]  # fmt: skip
    for arn in arns:
        if config.certificate_arn is None:
            tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}
            if any(tags.get(key) != value for key, value in config.certificate_tags.items()):
                continue
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        if certificate["Status"] != "ISSUED":
            return Result("certificate", f"{arn} is {certificate['Status']}, not ISSUED: finish its validation")
        return Result("certificate", detail=f"{certificate['DomainName']}")
    wanted = ", ".join(f"{k}={v}" for k, v in config.certificate_tags.items())
    return Result("certificate", f"no issued certificate tagged {wanted}: issue one, or set certificate_arn")


def check_state_bucket(clients: Clients, config: EnvironmentConfig, account: str) -> Result:
    s3, bucket = clients["s3"], config.state_bucket or state_bucket_name(account, config.state_region)
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception as error:
        if _error_code(error) in ("404", "NoSuchBucket", "403", "Forbidden"):
            return Result(
                "state bucket",
                f"{bucket} not found or not yours: bootstrap the wallet-state stack (docs/runbook.md#1-bootstrap-the-state-bucket-once)",
            )
        raise
    if config.state_bucket is None:
        return Result("state bucket", f"{bucket} exists but state_bucket is not set: set it under the context key 'wallet'")
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        return Result("state bucket", f"{bucket} is not versioned: enable versioning (the wallet-state stack does)")
    try:
        s3.get_bucket_encryption(Bucket=bucket)
    except Exception as error:
        if _error_code(error) == "ServerSideEncryptionConfigurationNotFoundError":
            return Result("state bucket", f"{bucket} has no default encryption: bootstrap it with the wallet-state stack")
        raise
    return Result("state bucket", detail=bucket)


def check_subscriptions(clients: Clients, config: EnvironmentConfig, account: str) -> Result:
    if not config.alarm_emails:
        return Result("alarm e-mails", detail="none configured")
    topic = f"arn:{config.partition}:sns:{config.region}:{account}:wallet-service-{config.environment}-alarms"
    try:
        subscriptions = clients["sns"].list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    except Exception as error:
        if _error_code(error) == "NotFound":
            return Result("alarm e-mails", detail="topic not deployed yet: confirm the e-mails after the first deploy")
        raise
    confirmed = {s["Endpoint"] for s in subscriptions if s["Protocol"] == "email" and s["SubscriptionArn"].startswith("arn:")}
    waiting = [email for email in config.alarm_emails if email not in confirmed]
    if waiting:
        return Result("alarm e-mails", f"not confirmed: {', '.join(waiting)}: click the link in AWS's e-mail")
    return Result("alarm e-mails", detail=f"{len(config.alarm_emails)} confirmed")


def run(clients: Clients, config: EnvironmentConfig, image_tag: str, out: Callable[[str], None] = print) -> int:
    """Every check, one line each; 1 if any found a problem."""
    account, account_id = check_account(clients, config)
    if account.problem:  # every other check would look at the wrong account
        out(account.line())
        out(f"{config.stack_name}: 1 problem(s)")
        return 1
    network, vpc_id, private_route_tables, private_subnets = check_network(clients, config)
    results = [
        account,
        network,
        check_endpoints(clients, config, vpc_id, private_route_tables),
        check_endpoint_zones(clients, config, vpc_id, private_subnets),
        check_vpc_dns(clients, config, vpc_id),
        check_image(clients, config, image_tag),
        check_database_class(clients, config),
        check_certificate(clients, config),
        check_state_bucket(clients, config, account_id),
        check_subscriptions(clients, config, account_id),
    ]
    for result in results:
        out(result.line())
    problems = sum(result.problem is not None for result in results)
    out(f"{config.stack_name}: {problems} problem(s)" if problems else f"{config.stack_name}: ready for the first plan")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", help="the environment: prod or its stack wallet-prod")
    parser.add_argument("image_tag", help="the image tag the first deploy will use")
    args = parser.parse_args(argv)
    from stacks import config, overrides, rules
    from stacks.errors import ConfigError

    try:
        chosen = config.select(config.load(overrides.read_context(PROJECT)), args.stack)
        rules.check_pattern("image_tag", args.image_tag, rules.IMAGE_TAG, rules.IMAGE_TAG_RULE)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    import boto3

    from release import aws_errors, credentials
    from stacks import accounts

    if chosen.account_id is not None:
        # In an account of its own, every check below reads the environment's account as its deploy role does.
        line = credentials.act_as(chosen, "deploy")
        print(Result("deploy role", line, accounts.role_arn(chosen, "deploy")).line())
        if line is not None:
            return 1

    def checks() -> int:
        clients = {
            name: boto3.client(name, region_name=chosen.state_region if name == "s3" else chosen.region)
            for name in ("sts", "ec2", "ecr", "acm", "s3", "sns", "rds")
        }
        return run(clients, chosen, args.image_tag)

    return aws_errors.guarded(
        f"{args.stack}: preflight", aws_errors.where(chosen), checks, report=lambda line: print(line, file=sys.stderr)
    )


if __name__ == "__main__":
    sys.exit(main())
