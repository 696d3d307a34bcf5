"""Configuration: the environment table, every validation rule with its message, and overrides."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import pytest

from stacks import config, overrides, rules
from stacks.errors import ConfigError
from tests.expected import EXPECTED


def test_environment_table_is_the_expected_one() -> None:
    """The table (stacks/config.py) against the literal expectations (tests/expected.py), field by field."""
    actual = {
        c.stack_name: (c.environment, c.tier, c.desired_count, c.min_capacity, c.max_capacity, c.db_instance_class,
                       c.db_allocated_storage, c.db_max_allocated_storage, c.db_multi_az, c.db_deletion_protection,
                       c.db_prevent_destroy, c.db_backup_retention_days, c.log_retention_days, c.enable_ecs_exec,
                       c.alb_deletion_protection, c.alb_access_logs, c.fargate_spot_percent, c.fargate_on_demand_base,
                       c.vpc_endpoint_azs, c.deployment_strategy.upper())
        for c in config.load({})
    }  # fmt: skip
    expected = {
        stack: (e.environment, e.tier, e.desired, e.min_tasks, e.max_tasks, e.db_class, e.storage, e.max_storage or e.storage,
                e.multi_az, e.protected, e.prevent_destroy, e.backup_days, e.log_days, e.ecs_exec, e.alb_protected, e.access_logs,
                *e.spot, e.endpoint_azs,
                e.strategy)
        for stack, e in EXPECTED.items()
    }  # fmt: skip
    assert actual == expected


def test_stack_names_and_shared_defaults() -> None:
    configs = config.load({})
    assert [c.stack_name for c in configs] == [f"wallet-{e.environment}" for e in EXPECTED.values()]
    assert {(c.project, c.ecr_repository, c.health_check_path) for c in configs} == {("wallet-service", "wallet-service", "/health")}


def test_tags_carry_optional_owner_and_cost_center() -> None:
    assert config.DEFAULTS["wallet-dev"].tags == {"Environment": "dev", "Project": "wallet-service", "ManagedBy": "cdktf"}
    tagged = dataclasses.replace(config.DEFAULTS["wallet-prod"], owner="platform-team", cost_center="engineering")
    assert tagged.tags == {
        "Environment": "prod",
        "Project": "wallet-service",
        "Owner": "platform-team",
        "CostCenter": "engineering",
        "ManagedBy": "cdktf",
    }


RULES: list[tuple[str, dict[str, Any], str]] = [
    ("wallet-prod", {"vpc_id": "vpc-xyz"}, "wallet-prod: vpc_id: 'vpc-xyz' is not valid; expected 'vpc-' followed by 8 or 17 hex digits"),
    (
        "wallet-prod",
        {"vpc_id": "vpc-0123456789abcdef"},
        "wallet-prod: vpc_id: 'vpc-0123456789abcdef' is not valid; expected 'vpc-' followed by 8 or 17 hex digits",
    ),
    (
        "wallet-dev",
        {"private_subnet_ids": ["subnet-1234567g", "subnet-12345678"]},
        "wallet-dev: private_subnet_ids: 'subnet-1234567g' is not valid; expected 'subnet-' followed by 8 or 17 hex digits",
    ),
    (
        "wallet-dev",
        {"public_subnet_ids": ["subnet-12345678"]},
        "wallet-dev: public_subnet_ids: ['subnet-12345678'] is not valid; expected at least two distinct subnets (two Availability Zones), or none",
    ),
    ("wallet-prod", {"min_capacity": 11}, "wallet-prod: min_capacity: 11 is not valid; expected at most max_capacity (10)"),
    ("wallet-prod", {"min_capacity": 0}, "wallet-prod: min_capacity: 0 is not valid; expected a whole number from 1 to 100"),
    ("wallet-prod", {"max_capacity": 101}, "wallet-prod: max_capacity: 101 is not valid; expected a whole number from 1 to 100"),
    (
        "wallet-staging",
        {"desired_count": 5},
        "wallet-staging: desired_count: 5 is not valid; expected from min_capacity (2) to max_capacity (4)",
    ),
    (
        "wallet-dev",
        {"db_allocated_storage": 19},
        "wallet-dev: db_allocated_storage: 19 is not valid; expected a whole number from 20 to 65536",
    ),
    (
        "wallet-prod",
        {"db_max_allocated_storage": 50},
        "wallet-prod: db_max_allocated_storage: 50 is not valid; expected at least db_allocated_storage (100)",
    ),
    (
        "wallet-prod",
        {"db_max_allocated_storage": 70000},
        "wallet-prod: db_max_allocated_storage: 70000 is not valid; expected a whole number from 20 to 65536",
    ),
    (
        "wallet-dev",
        {"db_backup_retention_days": 0},
        "wallet-dev: db_backup_retention_days: 0 is not valid; expected a whole number from 1 to 35",
    ),
    (
        "wallet-dev",
        {"db_instance_class": "t3.micro"},
        "wallet-dev: db_instance_class: 't3.micro' is not valid; expected a DB instance class RDS for PostgreSQL offers, "
        "did you mean 'db.t3.micro'? (list: RDS_POSTGRESQL_CLASSES in stacks/rules.py)",
    ),
    ("wallet-dev", {"task_cpu": 300}, "wallet-dev: task_cpu: 300 is not valid; expected one of 256, 512, 1024, 2048, 4096, 8192, 16384"),
    ("wallet-dev", {"task_memory": 4096}, "wallet-dev: task_memory: 4096 is not valid; with task_cpu 256 Fargate accepts 512, 1024, 2048"),
    (
        "wallet-dev",
        {"task_cpu": 1024, "task_memory": 1024},
        "wallet-dev: task_memory: 1024 is not valid; with task_cpu 1024 Fargate accepts 2048 to 8192 MiB in steps of 1024",
    ),
    ("wallet-dev", {"region": "US-East-1"}, "wallet-dev: region: 'US-East-1' is not valid; expected an AWS region such as 'us-east-1'"),
    (
        "wallet-dev",
        {"allowed_account_ids": ["12345"]},
        "wallet-dev: allowed_account_ids: '12345' is not valid; expected 12-digit AWS account ids",
    ),
    (
        "wallet-dev",
        {"alarm_emails": ["oncall"]},
        "wallet-dev: alarm_emails: 'oncall' is not valid; expected e-mail addresses such as 'oncall@example.com'",
    ),
    (
        "wallet-prod",
        {"certificate_arn": "arn:aws:iam::123456789012:server-certificate/x"},
        "wallet-prod: certificate_arn: 'arn:aws:iam::123456789012:server-certificate/x' is not valid; expected an ACM certificate ARN such as 'arn:aws:acm:us-east-1:123456789012:certificate/<uuid>'",
    ),
    (
        "wallet-dev",
        {"log_retention_days": 8},
        "wallet-dev: log_retention_days: 8 is not valid; expected one of CloudWatch's values: "
        + ", ".join(map(str, rules.LOG_RETENTION_DAYS)),
    ),
    (
        "wallet-dev",
        {"image_tag": ""},
        "wallet-dev: image_tag: '' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -",
    ),
    (
        "wallet-dev",
        {"image_tag": "-v1"},
        "wallet-dev: image_tag: '-v1' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -",
    ),
    (
        "wallet-dev",
        {"image_tag": "v" * 129},
        f"wallet-dev: image_tag: '{'v' * 129}' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -",
    ),
    (
        "wallet-dev",
        {"ecr_repository": "Wallet"},
        "wallet-dev: ecr_repository: 'Wallet' is not valid; expected an ECR repository name such as 'wallet-service'",
    ),
    ("wallet-dev", {"container_port": 70000}, "wallet-dev: container_port: 70000 is not valid; expected a whole number from 1 to 65535"),
    (
        "wallet-dev",
        {"health_check_path": "health"},
        "wallet-dev: health_check_path: 'health' is not valid; expected a URL path starting with '/'",
    ),
    ("wallet-dev", {"owner": ""}, "wallet-dev: owner: '' is not valid; expected 1-256 tag characters"),
    ("wallet-dev", {"max_capacity": "3"}, "wallet-dev: max_capacity: '3' has the wrong type; expected a whole number"),
    ("wallet-dev", {"max_capacity": True}, "wallet-dev: max_capacity: True has the wrong type; expected a whole number"),
    ("wallet-dev", {"db_multi_az": "yes"}, "wallet-dev: db_multi_az: 'yes' has the wrong type; expected true or false"),
    ("wallet-dev", {"vpc_id": 5}, "wallet-dev: vpc_id: 5 has the wrong type; expected a string or null"),
    (
        "wallet-dev",
        {"alarm_emails": "a@example.com"},
        "wallet-dev: alarm_emails: 'a@example.com' has the wrong type; expected a list of strings",
    ),
    (
        "wallet-dev",
        {"private_subnet_tags": {"Tier": 1}},
        "wallet-dev: private_subnet_tags: {'Tier': 1} has the wrong type; expected an object of string values",
    ),
    (
        "wallet-prod",
        {"certificate_tags": {}},
        "wallet-prod: certificate_arn: None is not valid; prod (production) serves HTTPS only: set certificate_arn, or certificate_tags to look the certificate up",
    ),
    (
        "wallet-dev",
        {"ingress_cidrs": ["10.0.0.300/8"]},
        "wallet-dev: ingress_cidrs: '10.0.0.300/8' is not valid; expected CIDR blocks such as '0.0.0.0/0' or '203.0.113.0/24'",
    ),
    ("wallet-dev", {"ingress_cidrs": []}, "wallet-dev: ingress_cidrs: [] is not valid; expected at least one CIDR block"),
    (
        "wallet-dev",
        {"migration_command": []},
        "wallet-dev: migration_command: [] is not valid; expected a non-empty list of non-empty strings",
    ),
    (
        "wallet-dev",
        {"migration_command": ["run", ""]},
        "wallet-dev: migration_command: ['run', ''] is not valid; expected a non-empty list of non-empty strings",
    ),
    (
        "wallet-dev",
        {"health_check_grace_seconds": -1},
        "wallet-dev: health_check_grace_seconds: -1 is not valid; expected a whole number from 0 to 2147483647",
    ),
    (
        "wallet-dev",
        {"alarm_service_cpu_percent": 120},
        "wallet-dev: alarm_service_cpu_percent: 120 is not valid; expected a number above 0 and at most 100",
    ),
    ("wallet-dev", {"alarm_db_free_storage_gib": 0}, "wallet-dev: alarm_db_free_storage_gib: 0 is not valid; expected a number above 0"),
    (
        "wallet-dev",
        {"alarm_response_time_seconds": "5"},
        "wallet-dev: alarm_response_time_seconds: '5' has the wrong type; expected a number",
    ),
    ("wallet-prod", {"max_capcity": 12}, "wallet-prod: unknown field 'max_capcity'; did you mean 'max_capacity'?"),
    ("wallet-prod", {"colour": "blue"}, "wallet-prod: unknown field 'colour'"),
    (
        "wallet-prod",
        {"environment": "dev"},
        "wallet-prod: environment: cannot be overridden; the environment table in stacks/config.py fixes it",
    ),
    ("wallet-prod", {"tier": "development"}, "wallet-prod: tier: cannot be overridden; the environment table in stacks/config.py fixes it"),
    (
        "wallet-dev",
        {"private_subnet_ids": ["subnet-12345678", "subnet-87654321", "subnet-12345678"]},
        "wallet-dev: private_subnet_ids: ['subnet-12345678', 'subnet-87654321', 'subnet-12345678'] is not valid; expected each subnet once",
    ),
    (
        "wallet-prod",
        {"log_retention_days": 180},
        "wallet-prod: log_retention_days: 180 is not valid; the production tier keeps logs at least 365 days",
    ),
    ("wallet-prod", {"cpu_architecture": "ARM"}, "wallet-prod: cpu_architecture: 'ARM' is not valid; expected one of 'X86_64', 'ARM64'"),
    (
        "wallet-dev",
        {"cpu_architecture": "ARM64"},
        "wallet-dev: fargate_spot_percent: 100 is not valid; Fargate Spot runs X86_64 tasks only: expected 0 with ARM64",
    ),
    (
        "wallet-prod",
        {"fargate_spot_percent": 101},
        "wallet-prod: fargate_spot_percent: 101 is not valid; expected a whole number from 0 to 100",
    ),
    (
        "wallet-staging",
        {"fargate_on_demand_base": -1},
        "wallet-staging: fargate_on_demand_base: -1 is not valid; expected a whole number from 0 to 100",
    ),
    ("wallet-dev", {"vpc_endpoint_azs": 0}, "wallet-dev: vpc_endpoint_azs: 0 is not valid; expected a whole number from 1 to 6"),
    (
        "wallet-prod",
        {"deployment_strategy": "big_bang"},
        "wallet-prod: deployment_strategy: 'big_bang' is not valid; expected one of 'rolling', 'canary', 'linear', 'blue_green'",
    ),
    ("wallet-prod", {"canary_percent": 0.05}, "wallet-prod: canary_percent: 0.05 is not valid; expected 0.1 to 100 in steps of 0.1"),
    ("wallet-prod", {"canary_percent": 10.05}, "wallet-prod: canary_percent: 10.05 is not valid; expected 0.1 to 100 in steps of 0.1"),
    ("wallet-prod", {"linear_step_percent": 2}, "wallet-prod: linear_step_percent: 2 is not valid; expected 3 to 100 in steps of 0.1"),
    (
        "wallet-prod",
        {"canary_bake_minutes": 1441},
        "wallet-prod: canary_bake_minutes: 1441 is not valid; expected a whole number from 0 to 1440",
    ),
    (
        "wallet-prod",
        {"test_listener_port": 443, "test_listener_cidrs": ["10.0.0.0/8"]},
        "wallet-prod: test_listener_port: 443 is not valid; expected a port other than the production listeners' 80 and 443",
    ),
    (
        "wallet-dev",
        {"test_listener_port": 8443, "test_listener_cidrs": ["10.0.0.0/8"]},
        "wallet-dev: test_listener_port: 8443 is not valid; a rolling deployment has no test traffic: expected null",
    ),
    (
        "wallet-prod",
        {"test_listener_port": 8443},
        "wallet-prod: test_listener_cidrs: [] is not valid; expected the CIDR blocks that may send test traffic",
    ),
    ("wallet-prod", {"slow_start_seconds": 10}, "wallet-prod: slow_start_seconds: 10 is not valid; expected 0 (off) or 30 to 900"),
    (
        "wallet-prod",
        {"deregistration_delay_seconds": 3601},
        "wallet-prod: deregistration_delay_seconds: 3601 is not valid; expected a whole number from 0 to 3600",
    ),
    (
        "wallet-prod",
        {"db_app_user": "Wallet-App"},
        "wallet-prod: db_app_user: 'Wallet-App' is not valid; expected a PostgreSQL role name: a lowercase letter, then up to 62 of a-z 0-9 _",
    ),
    (
        "wallet-prod",
        {"db_app_user": "wallet_admin"},
        "wallet-prod: db_app_user: 'wallet_admin' is not valid; expected a role of its own, not the master user or an RDS role",
    ),
    (
        "wallet-prod",
        {"db_ca_cert_identifier": "rds-ca-2019"},
        "wallet-prod: db_ca_cert_identifier: 'rds-ca-2019' is not valid; expected one of 'rds-ca-rsa2048-g1', 'rds-ca-rsa4096-g1', "
        "'rds-ca-ecc384-g1'",
    ),
    (
        "wallet-prod",
        {"backup_retention_days": 36},
        "wallet-prod: backup_retention_days: 36 is not valid; expected a whole number from 7 to 35",
    ),
    (
        "wallet-prod",
        {"backup_copy_region": "us-east-1"},
        "wallet-prod: backup_copy_region: 'us-east-1' is not valid; expected a Region other than the stack's (us-east-1)",
    ),
    (
        "wallet-prod",
        {"backup_copy_vault_arn": "arn:aws:backup:us-east-1:2109:backup-vault:x"},
        "wallet-prod: backup_copy_vault_arn: 'arn:aws:backup:us-east-1:2109:backup-vault:x' is not valid; "
        "expected a vault ARN such as 'arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies'",
    ),
    (
        "wallet-prod",
        {"backup_copy_vault_arn": "arn:aws:backup:us-west-2:210987654321:backup-vault:wallet-copies"},
        "wallet-prod: backup_copy_vault_arn: 'arn:aws:backup:us-west-2:210987654321:backup-vault:wallet-copies' is not valid; "
        "AWS Backup cannot copy an RDS database to another account and another Region in one copy: expected a vault in the "
        "stack's Region (us-east-1); backup_copy_region makes the other Region's copy",
    ),
    (
        "wallet-prod",
        {
            "allowed_account_ids": ["210987654321"],
            "backup_copy_vault_arn": "arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies",
        },
        "wallet-prod: backup_copy_vault_arn: 'arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies' is not valid; "
        "expected a vault in another account than this stack's (210987654321)",
    ),
    (
        "wallet-prod",
        {"db_storage_customer_key": False, "backup_copy_vault_arn": "arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies"},
        "wallet-prod: db_storage_customer_key: False is not valid; backup_copy_vault_arn copies the database to another account, "
        "which RDS allows only under a customer managed key: expected true",
    ),
    (
        "wallet-staging",
        {"backup_copy_region": "us-west-2"},
        "wallet-staging: backup_copy_region: 'us-west-2' is not valid; copies need aws_backup: true",
    ),
    (
        "wallet-prod",
        {"aws_backup": False},
        "wallet-prod: aws_backup: False is not valid; the production tier requires true (edit GUARDRAILS in stacks/config.py to change it)",
    ),
    (
        "wallet-prod",
        {"alarm_notify_arns": ["arn:aws:sqs:us-east-1:123456789012:q"]},
        "wallet-prod: alarm_notify_arns: 'arn:aws:sqs:us-east-1:123456789012:q' is not valid; "
        "expected SNS topic or AWS Chatbot channel ARNs such as 'arn:aws:sns:us-east-1:123456789012:oncall'",
    ),
    (
        "wallet-prod",
        {"deploy_alarm_min_requests": 0},
        "wallet-prod: deploy_alarm_min_requests: 0 is not valid; expected a whole number from 1 to 1000000",
    ),
    (
        "wallet-dev",
        {"vpc_endpoint_azs": 3, "private_subnet_ids": ["subnet-12345678", "subnet-87654321"]},
        "wallet-dev: vpc_endpoint_azs: 3 is not valid; expected at most the 2 private_subnet_ids, or null",
    ),
    (  # the default bound (35) refuses a shorter retention until it is lowered on purpose
        "wallet-prod",
        {"backup_retention_days": 14, "db_backup_retention_days": 14},
        "wallet-prod: backup_vault_lock_min_days: 35 is not valid; expected a whole number from 1 to 14",
    ),
    (
        "wallet-prod",
        {"tls_policy": "ELBSecurityPolicy-2016-08"},
        "wallet-prod: tls_policy: 'ELBSecurityPolicy-2016-08' is not valid; expected one of 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09', "
        "'ELBSecurityPolicy-TLS13-1-2-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-3-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09', "
        "'ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06', "
        "'ELBSecurityPolicy-TLS13-1-2-2021-06', 'ELBSecurityPolicy-TLS13-1-3-2021-06'",
    ),
    (
        "wallet-prod",
        {"backup_vault_lock_min_days": 36},
        "wallet-prod: backup_vault_lock_min_days: 36 is not valid; expected a whole number from 1 to 35",
    ),
    (
        "wallet-prod",
        {"backup_vault_lock_min_days": 0},
        "wallet-prod: backup_vault_lock_min_days: 0 is not valid; expected a whole number from 1 to 35",
    ),
    (
        "wallet-prod",
        {"backup_retention_days": 14, "db_backup_retention_days": 14, "backup_vault_lock_min_days": 7, "backup_vault_lock_max_days": 13},
        "wallet-prod: backup_vault_lock_max_days: 13 is not valid; expected a whole number from 14 to 36500",
    ),
    (
        "wallet-prod",
        {"backup_vault_lock_max_days": 36501},
        "wallet-prod: backup_vault_lock_max_days: 36501 is not valid; expected a whole number from 35 to 36500",
    ),
    (
        "wallet-prod",
        {"db_backup_retention_days": 30},
        "wallet-prod: db_backup_retention_days: 30 is not valid; with aws_backup, AWS Backup's continuous backup keeps the "
        "instance's backups backup_retention_days (35): expected the same",
    ),
    (  # the stack's Region is us-east-1
        "wallet-prod",
        {"certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/429761f0-9188-46af-8796-5d32a8773ec8"},
        "wallet-prod: certificate_arn: 'arn:aws:acm:eu-west-1:123456789012:certificate/429761f0-9188-46af-8796-5d32a8773ec8' is not "
        "valid; ACM certificates are regional: expected one in the stack's Region (us-east-1), requested or imported there",
    ),
    (
        "wallet-staging",
        {"restore_testing": True},
        "wallet-staging: restore_testing: True is not valid; restore tests restore AWS Backup's recovery points: they need aws_backup: true",
    ),
    (
        "wallet-prod",
        {"restore_testing_validation_hours": 0},
        "wallet-prod: restore_testing_validation_hours: 0 is not valid; expected a whole number from 1 to 168",
    ),
    (
        "wallet-prod",
        {"restore_testing_validation_hours": 169},
        "wallet-prod: restore_testing_validation_hours: 169 is not valid; expected a whole number from 1 to 168",
    ),
    (
        "wallet-prod",
        {"restore_testing_schedule": "rate(7 days)"},
        "wallet-prod: restore_testing_schedule: 'rate(7 days)' is not valid; expected an AWS cron expression such as "
        "'cron(0 7 ? * MON *)': six fields, '?' in one of day-of-month and day-of-week",
    ),
    (  # a Unix crontab line has five fields; AWS's has a sixth, the year
        "wallet-prod",
        {"restore_testing_schedule": "cron(0 7 * * 1)"},
        "wallet-prod: restore_testing_schedule: 'cron(0 7 * * 1)' is not valid; expected an AWS cron expression such as "
        "'cron(0 7 ? * MON *)': six fields, '?' in one of day-of-month and day-of-week",
    ),
    (  # AWS: "You can't use * in both the Day-of-month and Day-of-week fields"
        "wallet-prod",
        {"restore_testing_schedule": "cron(0 7 * * MON *)"},
        "wallet-prod: restore_testing_schedule: 'cron(0 7 * * MON *)' is not valid; expected an AWS cron expression such as "
        "'cron(0 7 ? * MON *)': six fields, '?' in one of day-of-month and day-of-week",
    ),
    (
        "wallet-prod",
        {"restore_testing_schedule": "cron(0 7 ? * ? *)"},
        "wallet-prod: restore_testing_schedule: 'cron(0 7 ? * ? *)' is not valid; expected an AWS cron expression such as "
        "'cron(0 7 ? * MON *)': six fields, '?' in one of day-of-month and day-of-week",
    ),
    (
        "wallet-prod",
        {"restore_testing_schedule": "cron(0/0 7 ? * MON *)"},
        "wallet-prod: restore_testing_schedule: 'cron(0/0 7 ? * MON *)' is not valid; expected an AWS cron expression such as "
        "'cron(0 7 ? * MON *)': six fields, '?' in one of day-of-month and day-of-week",
    ),
    (
        "wallet-prod",
        {"restore_testing_db_instance_class": "t4g.micro"},
        "wallet-prod: restore_testing_db_instance_class: 't4g.micro' is not valid; expected a DB instance class RDS for "
        "PostgreSQL offers, did you mean 'db.t4g.micro'? (list: RDS_POSTGRESQL_CLASSES in stacks/rules.py)",
    ),
    (
        "wallet-prod",
        {"deployment_bake_minutes": 41},
        "wallet-prod: deployment_strategy: 'canary' is not valid; with these bake times, grace period and deregistration delay a "
        "deployment may take 68 minutes, and the deploy job (180 minutes, .github/workflows/deploy.yml) can wait 67 for each of a "
        "release's two: shorten the bake times (or raise the job's timeout-minutes, its role-duration-seconds and DEPLOY_JOB_MINUTES "
        "in stacks/config.py together)",
    ),
]


@pytest.mark.parametrize(
    ("override", "bounds"),
    [
        ({"backup_vault_lock_min_days": 1, "backup_vault_lock_max_days": 35}, (1, 35, 35)),  # both bounds at the retention
        ({"backup_vault_lock_min_days": 35, "backup_vault_lock_max_days": 36500}, (35, 35, 36500)),
        ({"backup_retention_days": 7, "db_backup_retention_days": 7, "backup_vault_lock_min_days": 7}, (7, 7, 365)),
    ],
)
def test_the_lock_bounds_take_any_retention_between_them(override: dict[str, Any], bounds: tuple[int, int, int]) -> None:
    [prod] = [c for c in config.load({"wallet-prod": override}) if c.environment == "prod"]
    assert (prod.backup_vault_lock_min_days, prod.backup_retention_days, prod.backup_vault_lock_max_days) == bounds


@pytest.mark.parametrize(
    ("override", "accepted"),
    [
        ({"restore_testing_validation_hours": 1}, ("cron(0 7 ? * MON *)", 1)),
        ({"restore_testing_validation_hours": 168, "restore_testing_schedule": "cron(30 2 1 * ? *)"}, ("cron(30 2 1 * ? *)", 168)),
    ],
)
def test_restore_tests_take_any_window_from_1_to_168_hours(override: dict[str, Any], accepted: tuple[str, int]) -> None:
    [prod] = [c for c in config.load({"wallet-prod": override}) if c.environment == "prod"]
    assert (prod.restore_testing_schedule, prod.restore_testing_validation_hours) == accepted


@pytest.mark.parametrize(
    ("override", "minutes"),
    [
        ({"deployment_strategy": "rolling"}, 22),  # 20 start-up + ceil((60 s grace + 30 s deregistration) / 60)
        ({}, 37),  # prod's canary: 5 at 10 %, then 10 of bake
        ({"deployment_strategy": "linear"}, 47),  # 25 % steps: 3 bakes of 5 between 4 steps, then 10
        ({"deployment_strategy": "linear", "linear_step_percent": 33.3, "linear_step_bake_minutes": 7}, 53),  # 4 steps
        ({"deployment_strategy": "blue_green", "deployment_bake_minutes": 0}, 22),
        ({"deployment_bake_minutes": 40}, 67),  # the most the deploy job can wait for twice (one more: refused above)
        ({"deployment_strategy": "rolling", "deregistration_delay_seconds": 2820, "health_check_grace_seconds": 0}, 67),
    ],
)
def test_the_deployment_timeout_follows_the_strategy(override: dict[str, Any], minutes: int) -> None:
    """The service's create and update timeouts: what the strategy waits by design, plus the start-up allowance."""
    [prod] = [c for c in config.load({"wallet-prod": override}) if c.environment == "prod"]
    assert prod.deployment_minutes == minutes


@pytest.mark.parametrize(("stack", "override", "message"), RULES, ids=[f"{s}-{next(iter(o))}" for s, o, _ in RULES])
def test_each_rule_names_field_value_and_what_is_allowed(stack: str, override: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({stack: override})
    assert str(raised.value) == message


STACKS = ", ".join(EXPECTED)  # the stacks' keys, in table order (tests/expected.py)
UNKNOWN_STACK = (
    "the environments are {environments} (keys {stacks}, and 'wallet' for all of them); to add one, add it to ENVIRONMENTS in "
    "stacks/config.py (docs/configuration.md)"
).format(environments=", ".join(e.environment for e in EXPECTED.values()), stacks=STACKS)


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("wallet-qa", ""),  # no environment is close to qa: neither 'wallet' nor 'wallet-dev' is suggested
        ("wallet-prd", "; did you mean 'wallet-prod'?"),
        ("walet-prod", "; did you mean 'wallet-prod'?"),
        ("walet", "; did you mean 'wallet'?"),
    ],
)
def test_an_unknown_stack_says_which_environments_exist_and_how_one_is_added(key: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({key: {"max_capacity": 3}})
    assert str(raised.value) == f"context: unknown stack {key!r}; {UNKNOWN_STACK}{suggestion}"


@pytest.mark.parametrize(
    ("context", "setting"),
    [
        ({"vpc_id": "vpc-0123456789abcdef0", "wallet-dev": {"max_capacity": 2}}, "vpc_id"),
        ({"max_capacity": 4}, "max_capacity"),
        ({"certificate_tags": {"Name": "wallet-prod"}}, "certificate_tags"),  # an object, yet a setting, not a stack
    ],
    ids=["vpc-id-beside-wallet-dev", "number", "object"],
)
def test_a_setting_at_the_top_level_is_refused_naming_where_it_belongs(context: dict[str, Any], setting: str) -> None:
    """Nothing reads the context's top level but for the stacks' keys: a setting there was silently ignored."""
    with pytest.raises(ConfigError) as raised:
        config.load(context)
    assert str(raised.value) == (
        f"context: {setting}: a setting at the top level is not read; move it into the key of its stack ({STACKS}), or into "
        "'wallet' for every environment"
    )


def test_a_top_level_key_neither_ours_nor_cdktfs_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({"vpcid": "vpc-0123456789abcdef0"})
    assert str(raised.value) == (
        f"context: unknown key 'vpcid'; the top level holds the stacks' keys (wallet, {STACKS}) and cdktf's own (CDKTF_KEYS in "
        "stacks/overrides.py); did you mean 'vpc_id'?"
    )


def test_cdktfs_own_keys_stay_allowed() -> None:
    """What cdktf 0.21 reads or sets in the context (the CLI adds cdktfRelativeModules), and the feature flags older
    `cdktf init`s wrote into cdktf.json, with the values cdktf gives them: nothing of ours, so nothing changes."""
    cdktf_keys = {
        "excludeStackIdFromLogicalIds": "true",
        "allowSepCharsInLogicalIds": "true",
        "cdktfRelativeModules": [],
        "cdktfStaticModuleAssetHash": "static",
        "cdktfJsonPath": "/work/project/cdktf.json",
        "cdktfVersion": "0.21.0",
        "@cdktf/disable_stack_trace_in_metadata": True,
    }
    assert config.load(cdktf_keys) == config.load({})


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"wallet": {"max_capacity": "3"}}, "wallet: max_capacity: '3' has the wrong type; expected a whole number"),
        ({"wallet": {"max_capcity": 3}}, "wallet: unknown field 'max_capcity'; did you mean 'max_capacity'?"),
        ({"wallet": {"environment": "qa"}}, "wallet: environment: cannot be overridden; the environment table in stacks/config.py fixes it"),
        ({"wallet": {"state_bucket": "ab"}},
         "wallet: state_bucket: 'ab' is not valid; expected an S3 bucket name: 3-63 lowercase letters, digits, hyphens"),
        # Every environment that takes the value from 'wallet' refuses it alike: 'wallet' is where to fix it.
        ({"wallet": {"region": "mars-1"}, "wallet-dev": {"region": "us-east-2"}},
         "wallet: region: 'mars-1' is not valid; expected an AWS region such as 'us-east-1'"),
        # Refused by one environment only: 'wallet', and which.
        ({"wallet": {"desired_count": 3}},
         "wallet (for wallet-dev): desired_count: 3 is not valid; expected from min_capacity (1) to max_capacity (2)"),
        # The stack's own value is the stack's.
        ({"wallet": {"max_capacity": 101}, "wallet-dev": {"max_capacity": 102}},
         "wallet-dev: max_capacity: 102 is not valid; expected a whole number from 1 to 100"),
    ],
    ids=["type", "unknown-field", "fixed-field", "rule", "rule-everywhere-it-applies", "rule-of-one-environment", "stack-overrides"],
)  # fmt: skip
def test_a_mistake_in_the_shared_key_names_wallet(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load(context)
    assert str(raised.value) == message


def test_every_literal_field_is_checked_even_when_the_table_is_edited() -> None:
    """Overrides are checked on the way in; a value put in the table by an edit of the code is caught too."""
    assert set(config.CHOICES) == {
        "db_engine_version", "db_ca_cert_identifier", "database_insights_mode", "backup_vault_lock_mode", "cpu_architecture",
        "deployment_strategy", "tls_policy",
    }  # fmt: skip
    with pytest.raises(ConfigError, match=r"^cpu_architecture: 'RISCV' is not valid; expected one of 'X86_64', 'ARM64'$"):
        dataclasses.replace(config.DEFAULTS["wallet-dev"], cpu_architecture="RISCV")  # type: ignore[arg-type]


def test_state_bucket_must_be_shared() -> None:
    with pytest.raises(ConfigError, match=r"^state_bucket: environments disagree \(my-state, unset\); .* under the context key 'wallet'$"):
        config.load({"wallet-dev": {"state_bucket": "my-state"}})


@pytest.mark.parametrize(
    ("context", "bucket"),
    [
        ({}, None),  # unknown until wallet-state has run in some account
        ({"wallet": {"allowed_account_ids": ["123456789012"]}}, "wallet-service-terraform-state-123456789012-us-east-1"),
        ({"wallet-prod": {"allowed_account_ids": ["123456789012"]}}, "wallet-service-terraform-state-123456789012-us-east-1"),
        ({"wallet": {"allowed_account_ids": ["123456789012"], "state_region": "eu-west-1"}},
         "wallet-service-terraform-state-123456789012-eu-west-1"),
        ({"wallet": {"allowed_account_ids": ["123456789012", "210987654321"]}}, None),
        # An account per environment: which one holds the bucket is the team's choice.
        ({"wallet-dev": {"allowed_account_ids": ["111111111111"]}, "wallet-prod": {"allowed_account_ids": ["222222222222"]}}, None),
        ({"wallet": {"state_bucket": "acme-wallet-state", "allowed_account_ids": ["123456789012"]}}, "acme-wallet-state"),
    ],
    ids=["nothing", "one-account", "one-account-in-one-environment", "state-region", "two-accounts", "account-per-environment", "named"],
)  # fmt: skip
def test_state_bucket_is_named_after_the_one_allowed_account(context: dict[str, Any], bucket: str | None) -> None:
    configs = config.load(context)
    assert {c.state_bucket for c in configs} == {bucket}
    warning = config.state_bucket_warning(configs)
    assert (warning is None) == (bucket is not None)
    if warning is not None:
        assert warning.startswith("state_bucket: not set, so the environment stacks' S3 backends have no bucket; deploy wallet-state")


def test_overrides_apply_per_stack_and_shared_key_first() -> None:
    configs = config.load(
        {
            "wallet": {"state_bucket": "acme-wallet-state", "owner": "platform-team"},
            "wallet-prod": {
                "vpc_id": "vpc-0123456789abcdef0",
                "max_capacity": 12,
                "owner": "payments",
                "alarm_emails": ["oncall@example.com"],
            },
            "excludeStackIdFromLogicalIds": "true",  # a cdktf feature flag: not ours, left alone
        }
    )
    by_name = {c.environment: c for c in configs}
    dev, staging, prod = by_name["dev"], by_name["staging"], by_name["prod"]
    assert (prod.vpc_id, prod.max_capacity, prod.owner, prod.alarm_emails) == (
        "vpc-0123456789abcdef0",
        12,
        "payments",
        ("oncall@example.com",),
    )
    assert {c.state_bucket for c in (dev, staging, prod)} == {"acme-wallet-state"}
    assert (dev.owner, staging.owner) == ("platform-team", "platform-team")
    assert (dev.max_capacity, staging.max_capacity) == (2, 4)


def test_every_field_has_a_json_type_the_overrides_understand() -> None:
    # A field type that overrides cannot read would make that field impossible to override.
    hints = typing.get_type_hints(config.EnvironmentConfig)
    for item in dataclasses.fields(config.EnvironmentConfig):
        if item.name in config.FIXED_FIELDS:
            continue
        value = getattr(config.DEFAULTS["wallet-prod"], item.name)
        json_value = list(value) if isinstance(value, tuple) else value
        assert overrides.coerce({item.name: json_value}, {item.name: hints[item.name]}) == {item.name: value}


def test_context_from_environment_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": {"wallet-dev": {"max_capacity": 3}}}))
    monkeypatch.delenv(overrides.CONTEXT_ENV, raising=False)
    assert overrides.read_context(tmp_path) == {"wallet-dev": {"max_capacity": 3}}
    monkeypatch.setenv(overrides.CONTEXT_ENV, json.dumps({"wallet-prod": {"max_capacity": 4}}))
    assert overrides.read_context(tmp_path) == {"wallet-prod": {"max_capacity": 4}}


def test_a_hand_set_context_variable_names_what_it_drops_from_cdktf_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """cdktf's semantics (the variable replaces the file's context) with a line naming each dropped setting; nothing to
    name when the variable carries the file's context, as the cdktf CLI sets it, or is not set."""
    file_context = {
        "wallet": {"state_bucket": "acme-state", "owner": "platform"},
        "wallet-prod": {"max_capacity": 12, "db_instance_class": "db.m7g.large"},
        "wallet-dev": {"max_capacity": 3},
        "excludeStackIdFromLogicalIds": True,
    }
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": file_context}))
    monkeypatch.delenv(overrides.CONTEXT_ENV, raising=False)
    assert overrides.ignored_file_context(tmp_path) == []
    monkeypatch.setenv(overrides.CONTEXT_ENV, json.dumps({"wallet": {"owner": "platform"}, "wallet-prod": {"max_capacity": 3}}))
    assert overrides.ignored_file_context(tmp_path) == ["wallet.state_bucket", "wallet-prod.db_instance_class", "wallet-dev"]
    monkeypatch.setenv(overrides.CONTEXT_ENV, json.dumps({**file_context, "cdktfRelativeModules": []}))  # what the CLI sets
    assert overrides.ignored_file_context(tmp_path) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "CDKTF_CONTEXT_JSON: malformed JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ("[1, 2]", "context: [1, 2] is not valid; expected a JSON object of stack name -> overrides"),
    ],
)
def test_malformed_context(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str, message: str) -> None:
    monkeypatch.setenv(overrides.CONTEXT_ENV, raw)
    with pytest.raises(ConfigError) as raised:
        overrides.read_context(tmp_path)
    assert str(raised.value) == message


def test_no_cdktf_json_means_no_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(overrides.CONTEXT_ENV, raising=False)
    assert overrides.read_context(tmp_path) == {}


TIER_GUARDRAILS = [
    ("wallet-staging", "db_deletion_protection", "pre-production"),
    ("wallet-prod", "db_deletion_protection", "production"),
    ("wallet-prod", "db_multi_az", "production"),
    ("wallet-prod", "db_prevent_destroy", "production"),
    ("wallet-prod", "alb_deletion_protection", "production"),
    ("wallet-prod", "alb_access_logs", "production"),
    ("wallet-prod", "restore_testing", "production"),
]


@pytest.mark.parametrize(("stack", "field", "tier"), TIER_GUARDRAILS)
def test_guardrails_cannot_be_switched_off_by_override(stack: str, field: str, tier: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({stack: {field: False}})
    assert (
        str(raised.value)
        == f"{stack}: {field}: False is not valid; the {tier} tier requires true (edit GUARDRAILS in stacks/config.py to change it)"
    )


def test_guardrails_follow_the_tier_not_the_name() -> None:
    """A new environment gets its tier's guardrails: an entry of the production tier under another name is refused
    without deletion protection, and one of the development tier is not."""
    prod = config.DEFAULTS["wallet-prod"]
    with pytest.raises(ConfigError, match=r"^db_deletion_protection: False is not valid; the production tier requires true"):
        dataclasses.replace(prod, environment="live", db_deletion_protection=False)
    sandbox = dataclasses.replace(config.DEFAULTS["wallet-dev"], environment="sandbox")
    assert (sandbox.tier, sandbox.db_deletion_protection) == ("development", False)


def test_every_tier_has_its_guardrails_and_the_table_uses_all_tiers() -> None:
    assert set(config.GUARDRAILS) == set(config.MIN_LOG_RETENTION_DAYS) == set(config.TIERS)
    assert {c.tier for c in config.ENVIRONMENTS} == set(config.TIERS)


def test_environment_names_are_short_lowercase_labels() -> None:
    with pytest.raises(ConfigError) as raised:
        dataclasses.replace(config.DEFAULTS["wallet-dev"], environment="Dev_1")
    assert str(raised.value) == "environment: 'Dev_1' is not valid; expected 2-12 lowercase letters and digits, starting with a letter"


def test_override_of_a_stack_must_be_an_object() -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({"wallet-prod": "vpc-0123456789abcdef0"})
    assert (
        str(raised.value)
        == "wallet-prod: 'vpc-0123456789abcdef0' is not valid; expected an object of field -> value, such as {\"max_capacity\": 4}"
    )


def test_alarm_thresholds_by_alarm_name() -> None:
    """One field sets both 5xx alarms; every alarm of the pack (tests/stacks/test_alarms.py, where each alarm's literal
    default is) has its threshold from a field, except the two fixed ones."""
    from tests.stacks.test_alarms import EXPECTED as PACK
    from tests.stacks.test_alarms import MATH

    [prod] = [c for c in config.load({"wallet-prod": {"alarm_http_5xx_per_minute": 25}}) if c.environment == "prod"]
    assert prod.alarm_thresholds["target-5xx"] == prod.alarm_thresholds["alb-5xx"] == 25
    assert prod.alarm_thresholds["cpu-high"] == 80  # not overridden: the default
    assert set(prod.alarm_thresholds) == (set(PACK) | set(MATH)) - {"running-tasks-low", "unhealthy-hosts"}


def test_engine_version_is_one_of_the_supported_majors() -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({"wallet-dev": {"db_engine_version": "15"}})
    assert str(raised.value) == "wallet-dev: db_engine_version: '15' is not valid; expected one of '16', '17'"


def test_a_certificate_of_the_stacks_own_region_is_taken() -> None:
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/429761f0-9188-46af-8796-5d32a8773ec8"
    [prod] = [c for c in config.load({"wallet-prod": {"region": "eu-west-1", "certificate_arn": arn}}) if c.environment == "prod"]
    assert (prod.region, prod.certificate_arn) == ("eu-west-1", arn)
