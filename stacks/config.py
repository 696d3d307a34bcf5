"""Per-environment configuration of the wallet service: the values, their rules, and overrides.

This module is the one place where user input enters the program. It must stay importable
without cdktf or the AWS provider bindings, so a mistake is reported in about a second.

Every rule raises :class:`ConfigError`, whose message names the field, shows the bad value and
says what is allowed; ``main.py`` prints it as one line and exits with status 2.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin, get_type_hints

from stacks import accounts, overrides
from stacks.errors import ConfigError
from stacks.rules import (
    ACCOUNT_ID,
    ACM_CERTIFICATE_ARN,
    BACKUP_VAULT_ARN,
    BUCKET_NAME,
    DB_USER,
    ECR_REPOSITORY,
    EMAIL,
    ENVIRONMENT_NAME,
    FARGATE_MEMORY_BY_CPU,
    HEALTH_CHECK_PATH,
    IMAGE_TAG,
    IMAGE_TAG_RULE,
    LOG_RETENTION_DAYS,
    MAX_AZS,
    MAX_STORAGE_GIB,
    MAX_TASKS,
    MIN_STORAGE_GIB,
    NOTIFY_ARN,
    REGION,
    SUBNET_ID,
    TAG_VALUE,
    VPC_ID,
    check_cron,
    check_db_instance_class,
    check_optional,
    check_pattern,
    check_range,
    check_tag_filter,
    fail,
)
from stacks.sidecar import Sidecar, check_health_check, check_sidecars

Tier = Literal["production", "pre-production", "development"]
"""What an environment is for. The data-protection and HTTPS guardrails follow the tier, never the name, so a new
environment gets them by saying what it is."""
TIERS: tuple[Tier, ...] = get_args(Tier)

# The settings each tier requires to be true; an override that turns one off is refused.
GUARDRAILS: dict[Tier, tuple[str, ...]] = {
    "production": (
        "db_deletion_protection",
        "db_multi_az",
        "db_prevent_destroy",
        "alb_deletion_protection",
        "alb_access_logs",
        "aws_backup",
        "restore_testing",
    ),
    "pre-production": ("db_deletion_protection",),
    "development": (),
}
# Production keeps its logs at least a year (payment audit trails; checkov's CKV_AWS_338 asks the same).
MIN_LOG_RETENTION_DAYS: dict[Tier, int] = {"production": 365, "pre-production": 1, "development": 1}

# How long a release may take. The deploy job (.github/workflows/deploy.yml, timeout-minutes, and the AWS session it
# assumes, role-duration-seconds) runs the set-up, the migration task's apply, the migrations and the service's apply.
# An apply that changes the service waits for ECS's deployment to succeed, its traffic shift and bake time included
# (the AWS provider's wait_for_steady_state polls DescribeServiceDeployments until SUCCESSFUL), and one release can
# deploy the service twice (a change of its task settings at the first apply, a switch from rolling, then the image),
# so the configuration may not ask for more than the job can wait for twice.
DEPLOY_JOB_MINUTES = 180
MIGRATION_MINUTES = 30
"""release/migrate.py's default wait for the migration task."""
RELEASE_OVERHEAD_MINUTES = 15
"""Set-up, synthesis, init and the plans."""
DEPLOYMENTS_PER_RELEASE = 2
START_UP_MINUTES = 20
"""A deployment beyond its traffic shift and the load balancer's timings: image pull, Fargate (Spot) capacity, container
start, two passing health checks, and the circuit breaker's verdict (the provider's own default wait is 20 minutes)."""

STACK_PREFIX = "wallet-"
STATE_BUCKET_PREFIX = "wallet-service-terraform-state"
SHARED_KEY = "wallet"
"""The context key whose overrides apply to every environment."""
STATE_STACK = "wallet-state"


def threshold(default: float, *alarms: str) -> Any:
    """A configurable alarm threshold: its default and the alarms it sets."""
    return field(default=default, metadata={"alarms": alarms})


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """Everything that differs between the wallet service's environments.

    Fields without a default are set per environment in ENVIRONMENTS below.
    """

    environment: str
    """Short lowercase name; the stack is wallet-<environment>, physical names end in -<environment>."""
    tier: Tier
    desired_count: int
    min_capacity: int
    max_capacity: int
    db_instance_class: str
    db_allocated_storage: int
    """GiB allocated at creation."""
    db_max_allocated_storage: int
    """GiB ceiling for RDS storage autoscaling; equal to db_allocated_storage turns autoscaling off."""
    db_multi_az: bool
    db_deletion_protection: bool
    """Deletion protection and a final snapshot on delete."""
    db_backup_retention_days: int
    log_retention_days: int
    db_prevent_destroy: bool = False
    """Terraform refuses to destroy the database instance. Required in prod."""
    db_engine_version: Literal["16", "17"] = "17"
    """PostgreSQL major version; minor versions upgrade automatically."""
    db_allow_major_version_upgrade: bool = False
    """Set true together with a new db_engine_version, in one reviewed change, to upgrade the major version (
    docs/database.md#major-version-upgrade); without it RDS refuses the change. Set it back afterwards."""
    db_apply_immediately: bool = True
    """Apply a database change (class, storage, Multi-AZ, CA, ...) during the deploy. false: RDS holds it until the
    Sunday 04:30 UTC maintenance window, and until then every plan shows it again (prod: a Multi-AZ class change fails
    over to the standby, so it waits for the quiet hour). A major version upgrade (db_allow_major_version_upgrade)
    always applies at once. Default: true; prod: false."""
    db_app_user: str = "wallet_app"
    """The PostgreSQL role the service connects as, with an IAM token (rds-db:connect on this user only); the
    migrations create it (docs/database.md#database-access-the-service-never-has-the-master-password). The service never sees the master secret."""
    # The certificate authorities RDS offers (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html).
    db_ca_cert_identifier: Literal["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"] = "rds-ca-rsa2048-g1"
    """The RDS certificate authority of the server certificate, pinned so that a CA change is a reviewed diff."""
    db_storage_customer_key: bool = True
    """Encrypt the storage (and snapshots) with the environment's database key, so they can be copied to another
    account or Region under that key. Changing it on an existing instance replaces the instance: docs/database.md#keys."""
    database_insights_mode: Literal["standard", "advanced"] = "standard"
    """CloudWatch Database Insights (the successor of Performance Insights) on classes that support it: standard
    (7 days of history, free) or advanced (15 months, execution plans; billed per vCPU)."""
    aws_backup: bool = False
    """An AWS Backup plan for the database: daily backups and point-in-time recovery into a locked vault encrypted with
    its own key, copied to backup_copy_region. Required in production."""
    backup_retention_days: int = 35
    """Days the AWS Backup recovery points (and their copies) are kept; 7-35 (35 is point-in-time recovery's limit).
    Within the vault lock's bounds, a change never touches the lock. AWS Backup's continuous backup also sets the
    instance's own retention to it, so db_backup_retention_days must be equal."""
    backup_vault_lock_min_days: int = 35
    """The vault lock's shortest retention: no recovery point may be kept for less; 1 to backup_retention_days. Default:
    35, the bound the locks had when it followed the retention (so deployed locks stay as they are); lower it, in a
    reviewed change of its own, before a shorter backup_retention_days."""
    backup_vault_lock_max_days: int = 365
    """The vault lock's longest retention; backup_retention_days to 36500. A change of either bound replaces the lock
    (the provider has no update): for a moment in governance mode the vault is unlocked; past a compliance lock's
    cooling-off AWS refuses it (docs/database.md#backups-that-survive-the-account-and-the-region)."""
    backup_vault_lock_mode: Literal["governance", "compliance"] = "governance"
    """Vault lock: governance (users with the right IAM permission can remove the lock) or compliance (after 3 days of
    cooling-off nobody, not even AWS or the account root, can remove it or delete a recovery point early:
    irreversible)."""
    backup_copy_region: str | None = None
    """A second Region that gets a copy of every recovery point, in a locked vault of its own. Default: none; prod:
    us-west-2."""
    backup_copy_vault_arn: str | None = None
    """An AWS Backup vault in another account that also gets every recovery point: in the stack's Region (RDS copies
    to another account or another Region, not both at once), with the database under its customer managed key
    (db_storage_customer_key), which then lets exactly that account use it; the vault's account must allow the copy
    (docs/database.md#copies-into-another-account). Default: none."""
    restore_testing: bool = False
    """Restore tests (AWS Backup restore testing; needs aws_backup): on restore_testing_schedule AWS Backup restores the
    latest recovery point of the database into the private subnets, with no public access and a security group that lets
    nothing in or out, keeps it restore_testing_validation_hours, then deletes it; each result (completed, failed)
    reaches the alarm topic. Required in production."""
    restore_testing_schedule: str = "cron(0 7 ? * MON *)"
    """When a restore test starts: an AWS cron expression (minutes hours day-of-month month day-of-week year), in UTC.
    Default: weekly, Mondays 07:00."""
    restore_testing_validation_hours: int = 4
    """Hours the restored instance is kept (and billed) before AWS Backup deletes it; 1-168."""
    restore_testing_db_instance_class: str = "db.t4g.micro"
    """The restored instance's class: a restore test proves the recovery point restores, not production's capacity."""

    region: str = "us-east-1"
    allowed_account_ids: tuple[str, ...] = ()
    """The AWS provider refuses to act on any other account. Default: any account."""
    account_id: str | None = None
    """The AWS account of this environment (12 digits), when each environment has one of its own (docs/accounts.md).
    With it: the provider acts on this account alone (allowed_account_ids), the project's commands act as
    deploy_role_arn or plan_role_arn, wallet-roles-<account_id> makes those roles, and the state bucket, in
    state_account_id, lets them reach exactly this environment's state. Every environment names one, or none does; a
    production environment never shares its account with another tier's. Default: none, the caller's credentials decide."""
    deploy_role_arn: str | None = None
    """The role that deploys and releases in account_id. Default with account_id:
    arn:aws:iam::<account_id>:role/wallet-service/wallet-service-deploy-<environment>, made by wallet-roles-<account_id>."""
    plan_role_arn: str | None = None
    """The read-only role of plans, cdktf diff and the drift job in account_id (no state lock). Default with account_id:
    arn:aws:iam::<account_id>:role/wallet-service/wallet-service-plan-<environment>, made by wallet-roles-<account_id>."""
    state_account_id: str | None = None
    """The account of the state bucket, required with account_id (set it once under 'wallet'): wallet-state is applied
    there and names the bucket after it."""
    github_repository: str | None = None
    """<owner>/<name> of the repository whose workflows assume the roles through GitHub's OIDC provider: the deploy role
    from the GitHub environment <environment>, the plan role from <environment>-plan (.github/workflows). Default: none,
    the roles trust only principals of their own account."""
    github_oidc_provider_arn: str | None = None
    """The IAM OIDC provider for token.actions.githubusercontent.com that account_id already has (an account holds one
    per URL). Default: wallet-roles-<account_id> creates it."""
    vpc_id: str | None = None
    """Default: the VPC tagged Name=wallet-<environment>."""
    private_subnet_ids: tuple[str, ...] = ()
    """Explicit private subnets (at least two). Default: looked up by private_subnet_tags, else by route table."""
    public_subnet_ids: tuple[str, ...] = ()
    """Explicit public subnets (at least two). Default: looked up by public_subnet_tags, else by route table."""
    private_subnet_tags: dict[str, str] = field(default_factory=lambda: {"aws-cdk:subnet-type": "Private"})
    """Tags that mark the private subnets. Default: the tag AWS CDK puts on the VPCs it builds. When no subnet carries
    them (or {}): the subnets whose route table has no route to an internet gateway."""
    public_subnet_tags: dict[str, str] = field(default_factory=lambda: {"aws-cdk:subnet-type": "Public"})
    """Tags that mark the public subnets. Default: the tag AWS CDK puts on the VPCs it builds. When no subnet carries
    them (or {}): the subnets whose route table has a route to an internet gateway."""
    project: str = "wallet-service"
    owner: str | None = None
    cost_center: str | None = None
    state_bucket: str | None = None
    """S3 bucket of the remote state, created by the wallet-state stack; shared by all environments. Default: the name
    wallet-state gives it, wallet-service-terraform-state-<account>-<state_region>, when allowed_account_ids names one
    account; otherwise unset, and the environments' backends lack a bucket until it is set (docs/runbook.md#1-bootstrap-the-state-bucket-once)."""
    state_region: str = "us-east-1"
    ecr_repository: str = "wallet-service"
    container_port: int = 8080
    health_check_path: str = "/health"
    task_cpu: int = 256
    task_memory: int = 512
    """MiB for the task: the service's container and its sidecars together."""
    app_health_check: tuple[str, ...] | None = None
    """The service container's ECS health check command. Default (null): ["CMD-SHELL", "curl -fsS
    http://localhost:<container_port><health_check_path> || exit 1"], which needs /bin/sh and curl in the image; [] for none. ECS
    replaces a task whose essential container stays unhealthy, and sidecars may wait for it (depends_on HEALTHY)."""
    sidecars: tuple[Sidecar, ...] = ()
    """Containers beside the service's in each of its tasks (not the migration task's): an OpenTelemetry collector, a
    metrics agent. Each an object of stacks/sidecar.py's Sidecar fields (docs/architecture.md#sidecars)."""
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """CPU architecture of the service and migration tasks; the image must be built for it (the application team's
    decision). ARM64 (Graviton) costs about 20 % less per hour, and cannot run on Fargate Spot."""
    fargate_spot_percent: int = 0
    """Share (0-100) of the service's tasks above fargate_on_demand_base that run on Fargate Spot: about 70 % cheaper,
    but AWS may stop a task with two minutes' warning when it needs the capacity back, and does not fall back to
    on-demand when Spot has none. 0: on-demand only (the capacity provider FARGATE alone). Every change of it or of
    fargate_on_demand_base is applied to the running service in place (docs/architecture.md#the-service-from-the-internet-through-the-load-balancer-only)."""
    fargate_on_demand_base: int = 0
    """With Spot: tasks that always run on on-demand Fargate, placed before the Spot share applies. Ignored when
    fargate_spot_percent is 0 (every task is on-demand then), so that setting alone turns Spot off."""
    alarm_emails: tuple[str, ...] = ()
    alarm_notify_arns: tuple[str, ...] = ()
    """Other notification targets: SNS topics that alarms and failure messages also go to, or the ARN of an AWS
    Chatbot (Amazon Q Developer in chat) channel configured to watch the alarm topic. Production and pre-production
    need at least one target (here or alarm_emails): their plan fails without; development plans with a warning."""
    certificate_arn: str | None = None
    """ACM certificate for the HTTPS listener. Default: none; see certificate_tags."""
    certificate_tags: dict[str, str] = field(default_factory=dict)
    """Without certificate_arn: the issued ACM certificate carrying these tags is looked up.
    Default: none (plain HTTP in dev and staging); prod: Name=wallet-prod. Prod never serves plain HTTP."""
    # TLS 1.2 and later, from AWS's policies for Application Load Balancers (docs.aws.amazon.com/elasticloadbalancing/
    # latest/application/describe-ssl-policies.html); those named PQ add hybrid post-quantum key exchange (ML-KEM).
    tls_policy: Literal[
        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
    ] = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    """Security policy of the HTTPS listeners (where a certificate is set). Default: AWS's recommendation, hybrid
    post-quantum key exchange (X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024) for clients that offer ML-KEM and
    the classical TLS 1.3 / TLS 1.2 key exchange (ECDHE) for the others; TLS 1.2 and 1.3 with forward-secret ciphers
    only."""
    ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """Who may reach the load balancer's listeners (IPv4 or IPv6 CIDRs). Default: anywhere."""
    alb_deletion_protection: bool = False
    alb_access_logs: bool = False
    """Access logs to an S3 bucket the stack creates. Default: off; prod: on."""
    waf: bool = True
    """AWS WAF on the load balancer: per-client rate limit and AWS managed rule groups."""
    waf_rate_limit_per_5_minutes: int = 2000
    """Requests one client IP may send in 5 minutes before WAF blocks it."""
    waf_log_counted: bool = False
    """Log the requests a rule only counted, besides the blocked ones (while tuning a rule). Allowed requests are
    never logged."""
    vpc_endpoints: bool = True
    """Interface endpoints (ECR, Logs, Secrets Manager) and the S3 gateway endpoint. Turn off for VPCs that
    already have them or reach AWS through a NAT gateway (the tasks then get HTTPS egress to anywhere)."""
    vpc_endpoint_azs: int | None = None
    """Availability Zones that get a network interface of each interface endpoint (billed per AZ and hour): the first
    N, by id, of the private subnets taken one per AZ. Default: every private subnet's AZ. Fewer is cheaper, but when
    such an AZ fails, the tasks in the others lose their private path to ECR, CloudWatch Logs and Secrets Manager: no
    image pulls, so no new tasks, and no logs, until it is back."""
    enable_ecs_exec: bool = False
    """ECS Exec into running containers. Default: off; dev: on."""
    health_check_grace_seconds: int = 60
    deployment_strategy: Literal["rolling", "canary", "linear", "blue_green"] = "rolling"
    """How ECS releases a new task definition. rolling: replaces tasks behind the one target group (circuit breaker
    and deployment alarms roll back). canary, linear, blue_green: starts the new revision behind a second target group
    and shifts the production listener rule's traffic to it (canary: canary_percent for canary_bake_minutes, then all;
    linear: linear_step_percent every linear_step_bake_minutes; blue_green: all at once), keeping the old revision for
    deployment_bake_minutes; a deployment alarm or the circuit breaker shifts traffic back."""
    canary_percent: float = 10
    """canary: share of production traffic the new revision gets first; 0.1-100 in steps of 0.1."""
    canary_bake_minutes: int = 5
    """canary: minutes at canary_percent before all traffic moves; 0-1440."""
    linear_step_percent: float = 25
    """linear: traffic moved per step; 3-100 in steps of 0.1."""
    linear_step_bake_minutes: int = 5
    """linear: minutes between steps; 0-1440."""
    deployment_bake_minutes: int = 10
    """canary, linear, blue_green: minutes the old revision stays ready after all traffic moved (a rollback in this
    window is instant); 0-1440."""
    test_listener_port: int | None = None
    """canary, linear, blue_green: a listener on this port that sends test traffic to the new revision before it gets
    production traffic (for checks by a lifecycle hook or a person). Default: none."""
    test_listener_cidrs: tuple[str, ...] = ()
    """Who may reach the test listener; required with test_listener_port."""
    deregistration_delay_seconds: int = 30
    """Seconds the load balancer lets in-flight requests finish on a task that leaves; 0-3600."""
    slow_start_seconds: int = 0
    """Seconds over which a new task's share of requests ramps up (rolling deployments and scale-out; a new revision
    behind the empty second target group gets none); 0 (off) or 30-900."""
    deploy_alarm_min_requests: int = 20
    """Requests a minute a target group must serve before its 5xx rate counts, so an idle minute is no outage."""
    migration_command: tuple[str, ...] = ("migrate",)
    """Command the migration task runs in the service image; it must apply the migrations and exit."""
    # Alarm thresholds: each field names the alarms (constructs_lib.alarms) it sets; the construct refuses a
    # threshold for an alarm it does not have, and an alarm without its threshold. This is their only default.
    alarm_service_cpu_percent: float = threshold(80, "cpu-high")
    alarm_service_memory_percent: float = threshold(80, "memory-high")
    alarm_db_cpu_percent: float = threshold(80, "db-cpu-high")
    alarm_db_connections: float = threshold(80, "db-connections-high")
    alarm_db_free_storage_gib: float = threshold(2, "db-storage-low")
    alarm_db_read_latency_seconds: float = threshold(1, "db-read-latency-high")
    alarm_db_write_latency_seconds: float = threshold(1, "db-write-latency-high")
    alarm_http_5xx_per_minute: float = threshold(10, "target-5xx", "alb-5xx")
    """5xx responses per minute, from the targets and from the load balancer."""
    alarm_response_time_seconds: float = threshold(5, "response-time-high")
    alarm_requests_per_minute: float = threshold(1000, "requests-high")
    """Informational alarm on traffic."""
    alarm_deploy_5xx_percent: float = threshold(5, "deploy-5xx-rate")
    """Rollback: percent of a target group's requests answered 5xx (with at least deploy_alarm_min_requests)."""
    alarm_deploy_p99_seconds: float = threshold(2, "deploy-p99-latency")
    """Rollback: p99 target response time of either target group."""
    image_tag: str | None = None
    """Default of the image_tag Terraform variable. Default: none, so plan/deploy must pass it."""

    def __post_init__(self) -> None:
        self._check_identity()
        self._check_choices()
        self._check_network()
        self._check_capacity()
        self._check_database()
        self._check_service()
        self._check_alarms()
        self._check_guardrails()
        accounts.check(self)

    @property
    def stack_name(self) -> str:
        return STACK_PREFIX + self.environment

    @property
    def sidecar_aws_services(self) -> tuple[str, ...]:
        """The AWS services the sidecars call (endpoint service names), each once, sorted."""
        return tuple(sorted({service for sidecar in self.sidecars for service in sidecar.aws_services}))

    @property
    def app_health_check_command(self) -> tuple[str, ...]:
        """app_health_check, or its default from the port and path; () for none."""
        if self.app_health_check is not None:
            return self.app_health_check
        return ("CMD-SHELL", f"curl -fsS http://localhost:{self.container_port}{self.health_check_path} || exit 1")

    @property
    def shift_minutes(self) -> int:
        """Minutes a deployment waits by design: the strategy's bakes (docs.aws.amazon.com/AmazonECS/latest/
        developerguide/canary-deployment.html, linear-deployment.html): canary, its canary bake; linear, a bake between
        each of its ceil(100 / step) steps; then, for all but rolling, deployment_bake_minutes."""
        if self.deployment_strategy == "rolling":
            return 0
        steps = {
            "canary": self.canary_bake_minutes,
            "linear": (math.ceil(100 / self.linear_step_percent) - 1) * self.linear_step_bake_minutes,
        }
        return steps.get(self.deployment_strategy, 0) + self.deployment_bake_minutes

    @property
    def deployment_minutes(self) -> int:
        """The service's create and update timeouts: shift_minutes, START_UP_MINUTES, and the health check grace and
        deregistration delay (an old task drains before it stops), rounded up to minutes."""
        return self.shift_minutes + START_UP_MINUTES + math.ceil((self.health_check_grace_seconds + self.deregistration_delay_seconds) / 60)

    @property
    def partition(self) -> str:
        """The ARN partition of the region."""
        if self.region.startswith("cn-"):
            return "aws-cn"
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    @property
    def tags(self) -> dict[str, str]:
        """The tags every resource of this environment carries (the provider's default_tags)."""
        tags = {"Environment": self.environment, "Project": self.project}
        if self.owner:
            tags["Owner"] = self.owner
        if self.cost_center:
            tags["CostCenter"] = self.cost_center
        tags["ManagedBy"] = "cdktf"
        return tags

    def _check_identity(self) -> None:
        check_pattern(
            "environment", self.environment, ENVIRONMENT_NAME, "expected 2-12 lowercase letters and digits, starting with a letter"
        )
        if self.tier not in TIERS:
            fail("tier", self.tier, f"expected one of {', '.join(TIERS)}")
        for name in ("region", "state_region"):
            check_pattern(name, getattr(self, name), REGION, "expected an AWS region such as 'us-east-1'")
        for account in self.allowed_account_ids:
            check_pattern("allowed_account_ids", account, ACCOUNT_ID, "expected 12-digit AWS account ids")
        for name in ("project", "owner", "cost_center"):
            check_optional(name, getattr(self, name), TAG_VALUE, "expected 1-256 tag characters")
        check_optional(
            "state_bucket", self.state_bucket, BUCKET_NAME, "expected an S3 bucket name: 3-63 lowercase letters, digits, hyphens"
        )
        for email in self.alarm_emails:
            check_pattern("alarm_emails", email, EMAIL, "expected e-mail addresses such as 'oncall@example.com'")
        for arn in self.alarm_notify_arns:
            check_pattern(
                "alarm_notify_arns", arn, NOTIFY_ARN,
                "expected SNS topic or AWS Chatbot channel ARNs such as 'arn:aws:sns:us-east-1:123456789012:oncall'",
            )  # fmt: skip
        if self.tier == "production" and self.certificate_arn is None and not self.certificate_tags:
            fail(
                "certificate_arn",
                None,
                f"{self.environment} ({self.tier}) serves HTTPS only: set certificate_arn, or certificate_tags to look the certificate up",
            )
        check_tag_filter("certificate_tags", self.certificate_tags)
        for cidr in self.ingress_cidrs:
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                fail("ingress_cidrs", cidr, "expected CIDR blocks such as '0.0.0.0/0' or '203.0.113.0/24'")
        if not self.ingress_cidrs:
            fail("ingress_cidrs", [], "expected at least one CIDR block")
        check_optional(
            "certificate_arn",
            self.certificate_arn,
            ACM_CERTIFICATE_ARN,
            "expected an ACM certificate ARN such as 'arn:aws:acm:us-east-1:123456789012:certificate/<uuid>'",
        )
        # "Certificates in ACM are regional resources ... You cannot copy a certificate between regions"
        # (docs.aws.amazon.com/acm/latest/userguide/acm-regions.html): the load balancer takes one of its own Region.
        if self.certificate_arn is not None and self.certificate_arn.split(":")[3] != self.region:
            fail(
                "certificate_arn",
                self.certificate_arn,
                f"ACM certificates are regional: expected one in the stack's Region ({self.region}), requested or imported there",
            )

    def _check_choices(self) -> None:
        """Every field typed as a Literal holds one of its values (overrides are checked the same way on the way in;
        this catches an edit of the table)."""
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices:
                fail(name, getattr(self, name), "expected one of " + ", ".join(repr(choice) for choice in choices))

    def _check_network(self) -> None:
        check_optional("vpc_id", self.vpc_id, VPC_ID, "expected 'vpc-' followed by 8 or 17 hex digits")
        for name in ("private_subnet_ids", "public_subnet_ids"):
            ids: tuple[str, ...] = getattr(self, name)
            for subnet in ids:
                check_pattern(name, subnet, SUBNET_ID, "expected 'subnet-' followed by 8 or 17 hex digits")
            if len(set(ids)) != len(ids):
                fail(name, list(ids), "expected each subnet once")
            if ids and len(ids) < 2:
                fail(name, list(ids), "expected at least two distinct subnets (two Availability Zones), or none")
        for name in ("private_subnet_tags", "public_subnet_tags"):
            check_tag_filter(name, getattr(self, name))

    def _check_capacity(self) -> None:
        for name in ("min_capacity", "desired_count", "max_capacity"):
            check_range(name, getattr(self, name), 1, MAX_TASKS)
        if self.min_capacity > self.max_capacity:
            fail("min_capacity", self.min_capacity, f"expected at most max_capacity ({self.max_capacity})")
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            fail(
                "desired_count",
                self.desired_count,
                f"expected from min_capacity ({self.min_capacity}) to max_capacity ({self.max_capacity})",
            )

    def _check_database(self) -> None:
        check_db_instance_class("db_instance_class", self.db_instance_class)
        check_range("db_allocated_storage", self.db_allocated_storage, MIN_STORAGE_GIB, MAX_STORAGE_GIB)
        check_range("db_max_allocated_storage", self.db_max_allocated_storage, MIN_STORAGE_GIB, MAX_STORAGE_GIB)
        if self.db_max_allocated_storage < self.db_allocated_storage:
            fail(
                "db_max_allocated_storage",
                self.db_max_allocated_storage,
                f"expected at least db_allocated_storage ({self.db_allocated_storage})",
            )
        check_range("db_backup_retention_days", self.db_backup_retention_days, 1, 35)
        check_pattern(
            "db_app_user", self.db_app_user, DB_USER, "expected a PostgreSQL role name: a lowercase letter, then up to 62 of a-z 0-9 _"
        )
        if self.db_app_user in ("wallet_admin", "rdsadmin", "postgres"):
            fail("db_app_user", self.db_app_user, "expected a role of its own, not the master user or an RDS role")
        check_range("backup_retention_days", self.backup_retention_days, 7, 35)
        # docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html: MinRetentionDays and
        # MaxRetentionDays; a recovery point whose retention lies outside them fails its backup or copy job.
        check_range("backup_vault_lock_min_days", self.backup_vault_lock_min_days, 1, self.backup_retention_days)
        check_range("backup_vault_lock_max_days", self.backup_vault_lock_max_days, self.backup_retention_days, 36500)
        if self.aws_backup and self.db_backup_retention_days != self.backup_retention_days:
            # docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html: the backup plan
            # sets the retention of an RDS continuous backup; the instance's own then shows a difference in every plan.
            fail(
                "db_backup_retention_days",
                self.db_backup_retention_days,
                f"with aws_backup, AWS Backup's continuous backup keeps the instance's backups backup_retention_days "
                f"({self.backup_retention_days}): expected the same",
            )
        if self.backup_copy_region is not None:
            check_pattern("backup_copy_region", self.backup_copy_region, REGION, "expected an AWS region such as 'us-west-2'")
            if self.backup_copy_region == self.region:
                fail("backup_copy_region", self.backup_copy_region, f"expected a Region other than the stack's ({self.region})")
        check_cron("restore_testing_schedule", self.restore_testing_schedule)
        check_range("restore_testing_validation_hours", self.restore_testing_validation_hours, 1, 168)
        check_db_instance_class("restore_testing_db_instance_class", self.restore_testing_db_instance_class)
        check_optional(
            "backup_copy_vault_arn", self.backup_copy_vault_arn, BACKUP_VAULT_ARN,
            "expected a vault ARN such as 'arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies'",
        )  # fmt: skip
        if self.backup_copy_vault_arn is not None:
            self._check_copy_vault(self.backup_copy_vault_arn)

    def _check_copy_vault(self, arn: str) -> None:
        """What AWS requires of a copy of the database's recovery points into another account's vault."""
        region, account = arn.split(":")[3:5]
        # docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html: "RDS, Aurora, DocumentDB, and
        # Neptune do not support a single copy action that performs both cross-Region AND cross-account backup."
        if region != self.region:
            fail(
                "backup_copy_vault_arn", arn,
                f"AWS Backup cannot copy an RDS database to another account and another Region in one copy: expected a "
                f"vault in the stack's Region ({self.region}); backup_copy_region makes the other Region's copy",
            )  # fmt: skip
        if account in self.allowed_account_ids:
            fail("backup_copy_vault_arn", arn, f"expected a vault in another account than this stack's ({account})")
        # AWS Backup copies an RDS snapshot under its source key; RDS cannot share a snapshot under the account's AWS
        # managed key (aws/rds) with another account (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/
        # share-encrypted-snapshot.html; docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html).
        if not self.db_storage_customer_key:
            fail(
                "db_storage_customer_key", self.db_storage_customer_key,
                "backup_copy_vault_arn copies the database to another account, which RDS allows only under a customer "
                "managed key: expected true",
            )  # fmt: skip

    @property
    def backup_copy_account_id(self) -> str | None:
        """The account of backup_copy_vault_arn (the one the database key lets copy the snapshots); None without it."""
        return self.backup_copy_vault_arn.split(":")[4] if self.backup_copy_vault_arn else None

    @property
    def alarm_thresholds(self) -> dict[str, float]:
        """Alarm name (constructs_lib.alarms) -> threshold, from the alarm_* fields."""
        return {alarm: getattr(self, item.name) for item in dataclasses.fields(self) for alarm in item.metadata.get("alarms", ())}

    def _check_alarms(self) -> None:
        for item in dataclasses.fields(self):
            if "alarms" not in item.metadata:
                continue
            value = getattr(self, item.name)
            high = 100 if item.name.endswith("_percent") else float("inf")
            if not 0 < value <= high:
                fail(item.name, value, "expected a number above 0" + (" and at most 100" if high == 100 else ""))

    def _check_guardrails(self) -> None:
        """What a tier requires of any override; only an edit of GUARDRAILS in this file lifts it."""
        for name in GUARDRAILS[self.tier]:
            if not getattr(self, name):
                fail(name, getattr(self, name), f"the {self.tier} tier requires true (edit GUARDRAILS in stacks/config.py to change it)")
        for name in ("backup_copy_region", "backup_copy_vault_arn"):
            if not self.aws_backup and getattr(self, name):
                fail(name, getattr(self, name), "copies need aws_backup: true")
        if self.restore_testing and not self.aws_backup:
            fail("restore_testing", self.restore_testing, "restore tests restore AWS Backup's recovery points: they need aws_backup: true")
        if self.log_retention_days < MIN_LOG_RETENTION_DAYS[self.tier]:
            fail(
                "log_retention_days",
                self.log_retention_days,
                f"the {self.tier} tier keeps logs at least {MIN_LOG_RETENTION_DAYS[self.tier]} days",
            )

    def _check_capacity_providers(self) -> None:
        check_range("fargate_spot_percent", self.fargate_spot_percent, 0, 100)
        check_range("fargate_on_demand_base", self.fargate_on_demand_base, 0, MAX_TASKS)
        # docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html: "Linux tasks with the
        # ARM64 architecture don't support the Fargate Spot capacity provider."
        if self.fargate_spot_percent and self.cpu_architecture != "X86_64":
            fail("fargate_spot_percent", self.fargate_spot_percent, "Fargate Spot runs X86_64 tasks only: expected 0 with ARM64")
        if self.vpc_endpoint_azs is not None:
            check_range("vpc_endpoint_azs", self.vpc_endpoint_azs, 1, MAX_AZS)
            if self.private_subnet_ids and self.vpc_endpoint_azs > len(self.private_subnet_ids):
                fail(
                    "vpc_endpoint_azs",
                    self.vpc_endpoint_azs,
                    f"expected at most the {len(self.private_subnet_ids)} private_subnet_ids, or null",
                )

    def _check_deployment(self) -> None:
        # Ranges of the ECS API's CanaryConfiguration, LinearConfiguration and DeploymentConfiguration.bakeTimeInMinutes
        # (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html, API_LinearConfiguration.html).
        for name, low in (("canary_percent", 0.1), ("linear_step_percent", 3.0)):
            value = getattr(self, name)
            if not low <= value <= 100 or abs(value * 10 - round(value * 10)) > 1e-9:
                fail(name, value, f"expected {low:g} to 100 in steps of 0.1")
        for name in ("canary_bake_minutes", "linear_step_bake_minutes", "deployment_bake_minutes"):
            check_range(name, getattr(self, name), 0, 1440)
        if self.test_listener_port is not None:
            check_range("test_listener_port", self.test_listener_port, 1, 65535)
            if self.test_listener_port in (80, 443):
                fail("test_listener_port", self.test_listener_port, "expected a port other than the production listeners' 80 and 443")
            if self.deployment_strategy == "rolling":
                fail("test_listener_port", self.test_listener_port, "a rolling deployment has no test traffic: expected null")
            if not self.test_listener_cidrs:
                fail("test_listener_cidrs", [], "expected the CIDR blocks that may send test traffic")
        for cidr in self.test_listener_cidrs:
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                fail("test_listener_cidrs", cidr, "expected CIDR blocks such as '203.0.113.0/24'")
        check_range("deregistration_delay_seconds", self.deregistration_delay_seconds, 0, 3600)
        if self.slow_start_seconds and not 30 <= self.slow_start_seconds <= 900:
            fail("slow_start_seconds", self.slow_start_seconds, "expected 0 (off) or 30 to 900")
        check_range("deploy_alarm_min_requests", self.deploy_alarm_min_requests, 1, 1000000)
        budget = (DEPLOY_JOB_MINUTES - MIGRATION_MINUTES - RELEASE_OVERHEAD_MINUTES) // DEPLOYMENTS_PER_RELEASE
        if self.deployment_minutes > budget:
            fail(
                "deployment_strategy",
                self.deployment_strategy,
                f"with these bake times, grace period and deregistration delay a deployment may take {self.deployment_minutes} "
                f"minutes, and the deploy job ({DEPLOY_JOB_MINUTES} minutes, .github/workflows/deploy.yml) can wait {budget} for "
                "each of a release's two: shorten the bake times (or raise the job's timeout-minutes, its role-duration-seconds and "
                "DEPLOY_JOB_MINUTES in stacks/config.py together)",
            )

    def _check_service(self) -> None:
        check_pattern("ecr_repository", self.ecr_repository, ECR_REPOSITORY, "expected an ECR repository name such as 'wallet-service'")
        check_range("container_port", self.container_port, 1, 65535)
        check_pattern("health_check_path", self.health_check_path, HEALTH_CHECK_PATH, "expected a URL path starting with '/'")
        check_health_check("app_health_check", self.app_health_check or ())
        if self.task_cpu not in FARGATE_MEMORY_BY_CPU:
            fail("task_cpu", self.task_cpu, f"expected one of {', '.join(map(str, FARGATE_MEMORY_BY_CPU))}")
        memories = FARGATE_MEMORY_BY_CPU[self.task_cpu]
        if self.task_memory not in memories:
            fail(
                "task_memory",
                self.task_memory,
                f"with task_cpu {self.task_cpu} Fargate accepts {memories[0]} to {memories[-1]} MiB in steps of {memories[1] - memories[0]}"
                if len(memories) > 3
                else f"with task_cpu {self.task_cpu} Fargate accepts {', '.join(map(str, memories))}",
            )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            fail(
                "log_retention_days",
                self.log_retention_days,
                f"expected one of CloudWatch's values: {', '.join(map(str, LOG_RETENTION_DAYS))}",
            )
        check_range("health_check_grace_seconds", self.health_check_grace_seconds, 0, 2147483647)
        check_range("waf_rate_limit_per_5_minutes", self.waf_rate_limit_per_5_minutes, 10, 2000000000)
        if not self.migration_command or not all(self.migration_command):
            fail("migration_command", list(self.migration_command), "expected a non-empty list of non-empty strings")
        self._check_capacity_providers()
        self._check_deployment()
        check_optional("image_tag", self.image_tag, IMAGE_TAG, IMAGE_TAG_RULE)
        check_sidecars(
            self.sidecars, ecr_repository=self.ecr_repository, container_port=self.container_port, task_cpu=self.task_cpu,
            task_memory=self.task_memory, app_health_checked=bool(self.app_health_check_command),
        )  # fmt: skip


# The fields typed as a Literal (tier aside: _check_identity names it) and their values.
CHOICES: dict[str, tuple[str, ...]] = {
    name: get_args(hint) for name, hint in get_type_hints(EnvironmentConfig).items() if get_origin(hint) is Literal and name != "tier"
}


# THE environment table, in promotion order (a release goes through them left to right). Everything that lists
# environments derives from it: the stacks, the docs, the cost estimate, the scripts and the pipeline. Adding an
# environment is one entry here plus its golden address list (`pipenv run update-golden`).
ENVIRONMENTS: tuple[EnvironmentConfig, ...] = (
    EnvironmentConfig(
        environment="dev",
        tier="development",
        vpc_id="vpc-aa8468cc",
        desired_count=1,
        min_capacity=1,
        max_capacity=2,
        db_instance_class="db.t3.micro",
        db_allocated_storage=20,
        db_max_allocated_storage=20,
        db_multi_az=False,
        db_deletion_protection=False,
        db_backup_retention_days=1,
        log_retention_days=7,
        enable_ecs_exec=True,
        fargate_spot_percent=100,
        vpc_endpoint_azs=1,
    ),
    EnvironmentConfig(
        environment="staging",
        tier="pre-production",
        desired_count=2,
        min_capacity=2,
        max_capacity=4,
        db_instance_class="db.t3.small",
        db_allocated_storage=50,
        db_max_allocated_storage=100,
        db_multi_az=False,
        db_deletion_protection=True,
        db_backup_retention_days=7,
        log_retention_days=30,
        fargate_spot_percent=100,
        fargate_on_demand_base=1,
        deployment_strategy="canary",
    ),
    EnvironmentConfig(
        environment="prod",
        tier="production",
        desired_count=2,
        min_capacity=2,
        max_capacity=10,
        db_instance_class="db.t3.small",
        db_allocated_storage=100,
        db_max_allocated_storage=500,
        db_multi_az=True,
        db_deletion_protection=True,
        db_backup_retention_days=35,
        log_retention_days=365,
        db_prevent_destroy=True,
        db_apply_immediately=False,
        certificate_tags={"Name": "wallet-prod"},
        alb_deletion_protection=True,
        alb_access_logs=True,
        deployment_strategy="canary",
        aws_backup=True,
        backup_copy_region="us-west-2",
        restore_testing=True,
    ),
)

DEFAULTS: dict[str, EnvironmentConfig] = {config.stack_name: config for config in ENVIRONMENTS}
STACK_NAMES: tuple[str, ...] = tuple(DEFAULTS)

# Fields no override may change: they are what a stack *is* (and the tier decides its guardrails).
FIXED_FIELDS = frozenset({"environment", "tier"})


def load(context: Mapping[str, Any]) -> list[EnvironmentConfig]:
    """Build and validate every environment's configuration from the cdktf context.

    ``context`` is the cdktf context: stack name -> {field: value}. The key ``wallet`` applies to
    every environment first (e.g. the shared ``state_bucket``). cdktf's own keys (overrides.CDKTF_KEYS) are left
    alone; any other key is refused (a setting at the top level, a stack not in the table), since nothing reads it.
    Raises ConfigError naming where the mistake is (the stack's key, or ``wallet``), the field and the rule.
    """
    hints = get_type_hints(EnvironmentConfig)
    field_types = {f.name: hints[f.name] for f in dataclasses.fields(EnvironmentConfig) if f.name not in FIXED_FIELDS}
    stack_overrides = overrides.select(context, allowed_keys=(SHARED_KEY, *DEFAULTS), unknown=_unknown_context_key)
    shared = stack_overrides.get(SHARED_KEY, {})
    for stack_name in (SHARED_KEY, *DEFAULTS):
        for name in sorted(FIXED_FIELDS & set(stack_overrides.get(stack_name, {}))):
            raise ConfigError(f"{stack_name}: {name}: cannot be overridden; the environment table in stacks/config.py fixes it")
    try:
        overrides.coerce(shared, field_types)  # its types once, under its own name
    except ConfigError as error:
        raise ConfigError(f"{SHARED_KEY}: {error}") from None
    configs, errors = [], {}
    for stack_name, default in DEFAULTS.items():
        try:
            changes = overrides.coerce({**shared, **stack_overrides.get(stack_name, {})}, field_types)
            configs.append(dataclasses.replace(default, **changes))
        except ConfigError as error:
            errors[stack_name] = str(error)
    if errors:
        raise ConfigError(_where(errors, shared, stack_overrides))
    _check_shared(configs)
    accounts.check_all(configs)
    # With its own account, the provider acts on that account alone: the rule allowed_account_ids already carries.
    configs = [
        dataclasses.replace(config, allowed_account_ids=(config.account_id,))
        if config.account_id and not config.allowed_account_ids
        else config
        for config in configs
    ]
    account = state_account(configs)
    if configs[0].state_bucket is None and account is not None:
        name = state_bucket_name(account, configs[0].state_region)
        configs = [dataclasses.replace(config, state_bucket=name) for config in configs]
    return configs


def _where(errors: Mapping[str, str], shared: Mapping[str, Any], stack_overrides: Mapping[str, Mapping[str, Any]]) -> str:
    """The first environment's refusal, named after where its value is set: the stack's key; ``wallet`` when the field
    comes from there and every environment that takes it from there is refused alike; else ``wallet (for <stack>)``."""
    stack, message = next(iter(errors.items()))
    field_name = message.split(":", 1)[0].split("[", 1)[0].split(".", 1)[0].split(" ", 1)[0]
    if field_name not in shared or field_name in stack_overrides.get(stack, {}):
        return f"{stack}: {message}"
    inheriting = [name for name in DEFAULTS if field_name not in stack_overrides.get(name, {})]
    if all(errors.get(name) == message for name in inheriting):
        return f"{SHARED_KEY}: {message}"
    return f"{SHARED_KEY} (for {stack}): {message}"


def _unknown_context_key(key: str, value: Any) -> str:
    """The refusal of a top-level context key that is neither a stack's nor cdktf's own."""
    stacks = ", ".join(STACK_NAMES)
    if key in _SETTING_NAMES:
        return (
            f"context: {key}: a setting at the top level is not read; move it into the key of its stack ({stacks}), or into "
            f"'{SHARED_KEY}' for every environment"
        )
    if key.startswith(SHARED_KEY) or isinstance(value, dict):
        environments = ", ".join(config.environment for config in ENVIRONMENTS)
        # 'wallet-qa' is no typo of 'wallet' or 'wallet-dev': only a close environment name is suggested.
        close = (
            overrides.suggest(key.removeprefix(STACK_PREFIX), [c.environment for c in ENVIRONMENTS]).replace("'", f"'{STACK_PREFIX}", 1)
            if key.startswith(STACK_PREFIX)
            else overrides.suggest(key, (SHARED_KEY, *STACK_NAMES))
        )
        return (
            f"context: unknown stack {key!r}; the environments are {environments} (keys {stacks}, and '{SHARED_KEY}' for all "
            f"of them); to add one, add it to ENVIRONMENTS in stacks/config.py (docs/configuration.md){close}"
        )
    return (
        f"context: unknown key {key!r}; the top level holds the stacks' keys ({SHARED_KEY}, {stacks}) and cdktf's own "
        f"(CDKTF_KEYS in stacks/overrides.py){overrides.suggest(key, (SHARED_KEY, *STACK_NAMES, *_SETTING_NAMES))}"
    )


_SETTING_NAMES = frozenset(f.name for f in dataclasses.fields(EnvironmentConfig))


def stack_name_of(name: str) -> str:
    """The stack of an environment named either way, ``dev`` or ``wallet-dev``; a ConfigError naming both forms."""
    stack = name if name.startswith(STACK_PREFIX) else STACK_PREFIX + name
    if stack not in DEFAULTS:
        environments = ", ".join(config.environment for config in ENVIRONMENTS)
        raise ConfigError(f"stack: {name!r} is not valid; expected one of {', '.join(STACK_NAMES)} (or {environments})")
    return stack


def select(configs: list[EnvironmentConfig], name: str) -> EnvironmentConfig:
    """The configuration of the environment ``name`` (``dev`` or ``wallet-dev``); a ConfigError naming them when there
    is none."""
    stack = stack_name_of(name)
    [chosen] = [config for config in configs if config.stack_name == stack]
    return chosen


def state_bucket_warning(configs: list[EnvironmentConfig]) -> str | None:
    """What to do while state_bucket is unset (the environments' backends then have no bucket), else None."""
    if configs[0].state_bucket is not None:
        return None
    return (
        f"state_bucket: not set, so the environment stacks' S3 backends have no bucket; deploy {STATE_STACK} first, then "
        f"set state_bucket to the name it prints (output state_bucket_name) under the context key '{SHARED_KEY}' in cdktf.json "
        "(docs/runbook.md#1-bootstrap-the-state-bucket-once)"
    )


def state_bucket_name(account: str, region: str) -> str:
    """The name the wallet-state stack gives the state bucket: S3 names are global, the account and Region make it
    this project's own (the convention of AWS CDK's bootstrap bucket, cdk-<qualifier>-assets-<account>-<region>)."""
    return f"{STATE_BUCKET_PREFIX}-{account}-{region}"


def state_account(configs: list[EnvironmentConfig]) -> str | None:
    """The account of the state bucket: state_account_id, else the one account the environments allow between them
    (allowed_account_ids), if exactly one."""
    if configs[0].state_account_id is not None:
        return configs[0].state_account_id
    allowed = {account for config in configs for account in config.allowed_account_ids}
    return allowed.pop() if len(allowed) == 1 else None


def _check_shared(configs: list[EnvironmentConfig]) -> None:
    """The wallet-state stack creates one bucket, so every environment must name the same one."""
    for name in ("state_bucket", "state_region", "state_account_id"):
        values = {str(getattr(config, name) or "unset") for config in configs}
        if len(values) > 1:
            raise ConfigError(
                f"{name}: environments disagree ({', '.join(sorted(values))}); the wallet-state stack creates one "
                f"state bucket, so set {name} once under the context key 'wallet'"
            )
