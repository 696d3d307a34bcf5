"""The generated blocks of docs/: the configuration reference (from EnvironmentConfig and the environment table) in
docs/configuration.md and the cost estimate of the defaults in docs/cost.md, so neither can drift.

`pipenv run docs` rewrites the blocks between the markers in those files; a test fails when a file differs from
them, or when a field of EnvironmentConfig has no entry in MEANINGS.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

from stacks.config import ENVIRONMENTS, GUARDRAILS, EnvironmentConfig

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"
COST_START, COST_END = "<!-- cost-estimate:start -->", "<!-- cost-estimate:end -->"
DOCS = Path(__file__).resolve().parent.parent / "docs"
CONFIGURATION_DOC = DOCS / "configuration.md"
"""Holds the configuration reference, between START and END."""
COST_DOC = DOCS / "cost.md"
"""Holds the cost estimate, between COST_START and COST_END."""

# What each field means and the rule it must follow.
MEANINGS: dict[str, str] = {
    "environment": "the environment's name; fixed by the table in stacks/config.py, cannot be overridden",
    "tier": "production, pre-production or development; decides the guardrails (below); cannot be overridden",
    "desired_count": "tasks at creation; then auto scaling owns the count; min <= desired <= max",
    "min_capacity": "auto scaling minimum, also the running-task alarm's threshold; 1-100, <= max",
    "max_capacity": "auto scaling maximum; 1-100",
    "db_instance_class": "DB instance class: one RDS for PostgreSQL offers (`RDS_POSTGRESQL_CLASSES`, stacks/rules.py)",
    "db_allocated_storage": "GiB at creation; 20-65536",
    "db_max_allocated_storage": "storage autoscaling ceiling in GiB; >= allocated; equal turns autoscaling off",
    "db_multi_az": "standby in a second AZ; required in prod",
    "db_deletion_protection": "deletion protection, final snapshot, kept backups; required in staging and prod",
    "db_backup_retention_days": "days of automated backups (point-in-time restore); 1-35",
    "log_retention_days": "days every log group keeps its logs; one of CloudWatch's values (1, 3, 5, 7, 14, 30, ... 3653)",
    "db_prevent_destroy": "Terraform refuses to destroy the instance; required in prod",
    "db_engine_version": "PostgreSQL major version, '16' or '17'; minor versions upgrade automatically",
    "db_allow_major_version_upgrade": "true only in the reviewed change that raises db_engine_version (docs/database.md#major-version-upgrade); false otherwise",
    "db_apply_immediately": "apply database changes during the deploy; false: in the Sunday maintenance window (a major upgrade never waits)",
    "db_app_user": "PostgreSQL role the service connects as with IAM tokens (rds-db:connect on it alone); not the master user",
    "db_ca_cert_identifier": "server certificate's CA, pinned: rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1",
    "db_storage_customer_key": "storage and snapshots under the environment's database key; changing it replaces the instance (docs/database.md#keys)",
    "database_insights_mode": "Database Insights on the classes AWS supports: standard (7 days) or advanced (15 months, billed)",
    "aws_backup": "AWS Backup plan: daily and point-in-time into a locked vault with its own key; required in production",
    "backup_retention_days": "days AWS Backup keeps each recovery point and copy; 7-35, within the lock's bounds; with aws_backup "
    "also the instance's retention (db_backup_retention_days must equal it)",
    "backup_vault_lock_min_days": "vault lock's shortest retention; 1 to backup_retention_days; a change replaces the lock",
    "backup_vault_lock_max_days": "vault lock's longest retention; backup_retention_days to 36500; a change replaces the lock",
    "backup_vault_lock_mode": "governance (IAM-removable) or compliance (immutable after 3 days, irreversible)",
    "backup_copy_region": "Region that gets a copy of every recovery point in a locked vault; null: none",
    "backup_copy_vault_arn": "vault in another account that also gets every recovery point; null: none",
    "restore_testing": "AWS Backup restore tests of the latest recovery point, isolated, results to the alarm topic; needs aws_backup; "
    "required in production",
    "restore_testing_schedule": "when a restore test starts: AWS cron expression (six fields), UTC",
    "restore_testing_validation_hours": "hours a restored instance is kept before AWS Backup deletes it; 1-168",
    "restore_testing_db_instance_class": "class of the restored instance",
    "app_health_check": "the service container's ECS health check command; null: curl of container_port and health_check_path "
    "(the image needs /bin/sh and curl); []: none",
    "sidecars": "containers beside the service's (docs/architecture.md#sidecars): image from ECR only, CPU and memory from the task, IAM "
    "actions and AWS services declared with each",
    "region": "AWS region of the stack, e.g. us-east-1",
    "allowed_account_ids": "12-digit account ids the provider may act on; empty: any",
    "account_id": "12-digit account of this environment; every environment one or none; production alone in its account; "
    "allowed_account_ids follows (docs/accounts.md); null: the caller's",
    "deploy_role_arn": "role that deploys in account_id; null with account_id: role/wallet-service/wallet-service-deploy-<env>",
    "plan_role_arn": "read-only role of plans and the drift job in account_id; null with account_id: "
    "role/wallet-service/wallet-service-plan-<env>",
    "state_account_id": "account of the state bucket; required with account_id; the same for every environment",
    "github_repository": "<owner>/<name> whose workflows assume the roles (GitHub OIDC); null: the account's principals only",
    "github_oidc_provider_arn": "the account's existing OIDC provider for GitHub; null: wallet-roles-<account> creates it",
    "vpc_id": "`vpc-` + 8 or 17 hex digits; null: the VPC tagged Name=wallet-<env>",
    "private_subnet_ids": "explicit private subnets (`subnet-` + 8 or 17 hex digits, at least two); empty: by tags, else by route table",
    "public_subnet_ids": "explicit public subnets for the load balancer (at least two); empty: by tags, else by route table",
    "private_subnet_tags": "tags that select the private subnets (aws: keys such as aws:cloudformation:stack-name too); none tagged "
    "(or `{}`): by route table, no route to an internet gateway",
    "public_subnet_tags": "tags that select the public subnets; none tagged (or `{}`): by route table, a route to an internet gateway",
    "project": "Project tag on every resource",
    "owner": "Owner tag on every resource, when set",
    "cost_center": "CostCenter tag on every resource, when set",
    "state_bucket": "S3 bucket of the remote state (created by wallet-state); the same for every environment; null: "
    "`wallet-service-terraform-state-<account>-<state_region>` when `allowed_account_ids` names one account, else the "
    "backends have no bucket until it is set (docs/runbook.md#1-bootstrap-the-state-bucket-once)",
    "state_region": "region of the state bucket; the same for every environment",
    "ecr_repository": "ECR repository of the service image",
    "container_port": "port the container listens on; 1-65535",
    "health_check_path": "path the load balancer checks, starting with /",
    "task_cpu": "Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192, 16384",
    "task_memory": "MiB; a value Fargate accepts with task_cpu",
    "cpu_architecture": "X86_64 or ARM64 (Graviton, about 20 % cheaper): the architecture the image is built for; ARM64 runs on-demand only",
    "fargate_spot_percent": "share (0-100) of the tasks above the base on Fargate Spot: about 70 % cheaper, stopped with two minutes' "
    "warning when AWS needs the capacity, no fallback to on-demand; X86_64 only; 0: on-demand (the capacity provider FARGATE alone); "
    "changed in place",
    "fargate_on_demand_base": "with Spot: tasks that always run on-demand, placed first; 0-100; ignored at fargate_spot_percent 0",
    "vpc_endpoint_azs": "AZs that get the interface endpoints (each billed per AZ): the first N of the private subnets one per AZ, by id, 1-6; null: "
    "all. Fewer is cheaper, but an outage of such an AZ cuts the others' tasks off ECR, Logs and Secrets Manager (no new tasks, "
    "no logs) until it is back",
    "alarm_emails": "e-mail addresses subscribed to the alarm topic",
    "alarm_notify_arns": "SNS topics that also get every alarm and failure, or AWS Chatbot channels watching the topic; "
    "production and pre-production need a target here or in alarm_emails (their plan fails without)",
    "certificate_arn": "ACM certificate ARN for HTTPS; null: see certificate_tags",
    "certificate_tags": "without certificate_arn: the issued ACM certificate with these tags; prod needs one of the two",
    "tls_policy": "HTTPS listeners' security policy: a TLS 1.2+ ELBSecurityPolicy-TLS13 policy; default AWS's hybrid post-quantum one",
    "ingress_cidrs": "CIDR blocks that may reach the load balancer (IPv4 or IPv6; at least one)",
    "alb_deletion_protection": "load balancer deletion protection",
    "alb_access_logs": "access logs to an S3 bucket the stack creates",
    "waf": "AWS WAF web ACL on the load balancer (rate limit, AWS managed rule groups)",
    "waf_rate_limit_per_5_minutes": "requests one client IP may send in 5 minutes before WAF blocks it; 10-2000000000",
    "waf_log_counted": "also log the requests a WAF rule only counted; blocked ones are always logged, allowed ones never",
    "vpc_endpoints": "ECR, Logs, Secrets Manager interface endpoints and the S3 gateway endpoint; off: NAT egress",
    "enable_ecs_exec": "ECS Exec into running containers",
    "health_check_grace_seconds": "seconds ECS ignores load balancer health checks after a task starts",
    "deployment_strategy": "rolling, or canary, linear, blue_green (ECS shifts the traffic of a listener rule between two target "
    "groups; rollback by the deployment alarms and the circuit breaker)",
    "canary_percent": "canary: share of traffic the new revision gets first; 0.1-100 in steps of 0.1",
    "canary_bake_minutes": "canary: minutes at canary_percent before all traffic moves; 0-1440",
    "linear_step_percent": "linear: traffic moved per step; 3-100 in steps of 0.1",
    "linear_step_bake_minutes": "linear: minutes between steps; 0-1440",
    "deployment_bake_minutes": "canary, linear, blue_green: minutes the old revision stays ready after all traffic moved; 0-1440",
    "test_listener_port": "canary, linear, blue_green: a listener port for test traffic to the new revision before production "
    "traffic; not 80 or 443; null: none",
    "test_listener_cidrs": "who may reach the test listener; required with test_listener_port",
    "deregistration_delay_seconds": "seconds in-flight requests may finish on a task that leaves the load balancer; 0-3600",
    "slow_start_seconds": "seconds a new task's share of requests ramps up (rolling and scale-out); 0 or 30-900",
    "deploy_alarm_min_requests": "requests a minute a target group must serve before its 5xx rate counts; at least 1",
    "migration_command": "command the migration task runs in the service image (non-empty list)",
    "alarm_service_cpu_percent": "alarm threshold; above 0, at most 100",
    "alarm_service_memory_percent": "alarm threshold; above 0, at most 100",
    "alarm_db_cpu_percent": "alarm threshold; above 0, at most 100",
    "alarm_db_connections": "alarm threshold; above 0",
    "alarm_db_free_storage_gib": "alarm threshold (fires below it); above 0",
    "alarm_db_read_latency_seconds": "alarm threshold; above 0",
    "alarm_db_write_latency_seconds": "alarm threshold; above 0",
    "alarm_http_5xx_per_minute": "alarm threshold, target and load balancer 5xx; above 0",
    "alarm_response_time_seconds": "alarm threshold, average target response time; above 0",
    "alarm_requests_per_minute": "informational alarm threshold; above 0",
    "alarm_deploy_5xx_percent": "rollback: percent of a target group's requests answered 5xx; above 0, at most 100",
    "alarm_deploy_p99_seconds": "rollback: p99 response time of a target group; above 0",
    "image_tag": "default of the image_tag variable (a Docker tag); null: plan/deploy must pass one",
}


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_show, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def table() -> str:
    header = " | ".join(config.environment for config in ENVIRONMENTS)
    rows = [f"| field | {header} | meaning and rule |", "|---|" + "---|" * len(ENVIRONMENTS) + "---|"]
    for item in dataclasses.fields(EnvironmentConfig):
        values = [f"`{_show(getattr(config, item.name))}`" for config in ENVIRONMENTS]
        rows.append(f"| `{item.name}` | {' | '.join(values)} | {MEANINGS[item.name]} |")
    rows.append("")
    rows.append("Guardrails: settings each tier requires to be true (an override that turns one off is refused):")
    rows.append("")
    for tier, required in GUARDRAILS.items():
        rows.append(f"- {tier}: {', '.join(f'`{name}`' for name in required) or 'none'}")
    return "\n".join(rows)


def readme_block(text: str, start: str = START, end: str = END) -> str:
    return text[text.index(start) + len(start) : text.index(end)].strip()


def with_block(text: str, block: str, start: str = START, end: str = END) -> str:
    """``text`` with everything between the markers replaced by ``block``."""
    return text[: text.index(start) + len(start)] + "\n" + block + "\n" + text[text.index(end) :]


def cost_table() -> str:
    """The cost estimate of the defaults (synthesized here, in a temporary folder; about 5 s)."""
    from costs import estimate
    from stacks import config, runtime

    runtime.prepare()
    from stacks.app import build_app

    with tempfile.TemporaryDirectory() as outdir:
        build_app(config.load({}), outdir=outdir).synth()
        return estimate.markdown(estimate.estimate_all(Path(outdir)))


def main() -> int:
    if "--write" in sys.argv:
        CONFIGURATION_DOC.write_text(with_block(CONFIGURATION_DOC.read_text(), table()))
        COST_DOC.write_text(with_block(COST_DOC.read_text(), cost_table(), COST_START, COST_END))
        print("docs/configuration.md: configuration reference rewritten; docs/cost.md: cost estimate rewritten")
        return 0
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
