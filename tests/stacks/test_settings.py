"""Every setting a team may put in cdktf.json's context, set to a value other than its default, reaches the synthesized
Terraform JSON (issue 22, item 7): a setting the stack stopped reading, or read into the wrong place, turns a test red.

Three stacks of the first development environment (tests/expected.py; that tier has no guardrail, so every setting may
take either value), each built from the table and these settings alone, whatever cdktf.json says. The expected values
are literals."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from stacks import config
from tests.expected import EXPECTED
from tests.helpers import resources, synth_environment

STACK = next(stack for stack, expected in EXPECTED.items() if expected.tier == "development")
ENV = EXPECTED[STACK].environment
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/429761f0-9188-46af-8796-5d32a8773ec8"
COPY_VAULT = "arn:aws:backup:eu-west-1:210987654321:backup-vault:wallet-copies"
ONCALL_TOPIC = "arn:aws:sns:eu-west-1:123456789012:payments-oncall"

SHARED = {"state_bucket": "acme-wallet-state", "state_region": "eu-central-1"}
"""The settings every environment must share (one state bucket), under the context key 'wallet'."""
LINEAR: dict[str, Any] = {
    "desired_count": 3, "min_capacity": 3, "max_capacity": 7,
    "db_instance_class": "db.t4g.medium", "db_allocated_storage": 40, "db_max_allocated_storage": 80,
    "db_multi_az": True, "db_deletion_protection": True, "db_backup_retention_days": 14, "log_retention_days": 90,
    "db_prevent_destroy": True, "db_engine_version": "16", "db_apply_immediately": False,
    "db_app_user": "payments_app", "db_ca_cert_identifier": "rds-ca-ecc384-g1",
    "database_insights_mode": "advanced",
    "aws_backup": True, "backup_retention_days": 14, "backup_vault_lock_min_days": 10, "backup_vault_lock_max_days": 100,
    "backup_vault_lock_mode": "compliance", "backup_copy_region": "us-west-1", "backup_copy_vault_arn": COPY_VAULT,
    "restore_testing": True, "restore_testing_schedule": "cron(15 3 ? * SUN *)", "restore_testing_validation_hours": 6,
    "restore_testing_db_instance_class": "db.t4g.small",
    "region": "eu-west-1", "allowed_account_ids": ["123456789012"], "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_tags": {"tier": "app"}, "public_subnet_tags": {"tier": "edge"},
    "project": "payments", "owner": "platform", "cost_center": "cc-42",
    "ecr_repository": "payments/wallet", "container_port": 9000, "health_check_path": "/ready", "task_cpu": 1024, "task_memory": 3072,
    "cpu_architecture": "ARM64", "fargate_spot_percent": 0,
    "alarm_emails": ["oncall@example.com"], "alarm_notify_arns": [ONCALL_TOPIC],
    "certificate_arn": CERTIFICATE, "tls_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06", "ingress_cidrs": ["203.0.113.0/24"],
    "alb_deletion_protection": True, "alb_access_logs": True, "waf": True, "waf_rate_limit_per_5_minutes": 500, "waf_log_counted": True,
    "vpc_endpoints": True, "vpc_endpoint_azs": 2, "enable_ecs_exec": False, "health_check_grace_seconds": 120,
    "deployment_strategy": "linear", "linear_step_percent": 20, "linear_step_bake_minutes": 3, "deployment_bake_minutes": 4,
    "test_listener_port": 8443, "test_listener_cidrs": ["10.0.0.0/8"], "deregistration_delay_seconds": 45, "slow_start_seconds": 60,
    "deploy_alarm_min_requests": 50, "migration_command": ["flask", "db", "upgrade"],
    "alarm_service_cpu_percent": 71, "alarm_service_memory_percent": 72, "alarm_db_cpu_percent": 73, "alarm_db_connections": 150,
    "alarm_db_free_storage_gib": 5, "alarm_db_read_latency_seconds": 0.5, "alarm_db_write_latency_seconds": 0.7,
    "alarm_http_5xx_per_minute": 12, "alarm_response_time_seconds": 3, "alarm_requests_per_minute": 2000,
    "alarm_deploy_5xx_percent": 7, "alarm_deploy_p99_seconds": 1.5, "image_tag": "v9.9.9",
}  # fmt: skip
CANARY: dict[str, Any] = {
    "deployment_strategy": "canary", "canary_percent": 20, "canary_bake_minutes": 7, "deployment_bake_minutes": 3,
    "fargate_spot_percent": 60, "fargate_on_demand_base": 2, "cpu_architecture": "X86_64",
    "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    "vpc_endpoint_azs": None, "certificate_arn": None, "certificate_tags": {"Name": "wallet-payments"},
    "vpc_endpoints": False, "waf": False,
    "db_engine_version": "16", "db_allow_major_version_upgrade": True, "db_apply_immediately": False,
    "db_storage_customer_key": False,  # not with LINEAR's backup_copy_vault_arn, which requires the customer managed key
}  # fmt: skip
BLUE_GREEN: dict[str, Any] = {"deployment_strategy": "blue_green", "deployment_bake_minutes": 6}

ELSEWHERE = {
    **{
        name: "tests/test_accounts.py (examples/accounts: three accounts; given role ARNs and an OIDC provider)"
        for name in ("account_id", "deploy_role_arn", "plan_role_arn", "state_account_id", "github_repository", "github_oidc_provider_arn")
    },
    "sidecars": "tests/stacks/test_sidecars.py (the collector and an agent beside the service)",
    "app_health_check": "tests/stacks/test_sidecars.py::test_the_service_container_gets_the_configured_health_check",
}
"""Settings whose non-default values another file synthesizes and asserts."""


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    return {
        "linear": synth_environment(STACK, LINEAR, SHARED),
        "canary": synth_environment(STACK, CANARY),
        "blue_green": synth_environment(STACK, BLUE_GREEN),
    }


def one(document: dict[str, Any], kind: str) -> dict[str, Any]:
    """The resource of ``kind`` the stack has exactly one of."""
    [resource] = resources(document, kind).values()
    return resource


def named(kind: str, name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda document: resources(document, kind)[name]


def db(document: dict[str, Any]) -> dict[str, Any]:
    return one(document, "aws_db_instance")


def service(document: dict[str, Any]) -> dict[str, Any]:
    return one(document, "aws_ecs_service")


def containers(document: dict[str, Any], task: str) -> dict[str, Any]:
    [container] = json.loads(resources(document, "aws_ecs_task_definition")[task]["container_definitions"])
    return dict(container)


def app(document: dict[str, Any]) -> dict[str, Any]:
    return containers(document, "service_task_definition")


def threshold_alarm(document: dict[str, Any], alarm: str) -> dict[str, Any]:
    """The alarm ``alarm`` of the environment (constructs_lib.alarms names it wallet-service-<env>-<alarm>)."""
    [found] = [a for a in resources(document, "aws_cloudwatch_metric_alarm").values() if a["alarm_name"] == f"wallet-service-{ENV}-{alarm}"]
    return dict(found)


def threshold(alarm: str) -> Callable[[dict[str, Any]], Any]:
    return lambda document: threshold_alarm(document, alarm)["threshold"]


def tagged_filter(kind: str) -> Callable[[dict[str, Any]], Any]:
    return lambda document: document["data"]["aws_subnets"][f"network_{kind}_subnets_tagged"]["filter"][1]


def ids_filter(kind: str) -> Callable[[dict[str, Any]], Any]:
    return lambda document: document["data"]["aws_subnets"][f"network_{kind}_subnets"]["filter"][1]


def provider(alias: str | None = None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda document: next(p for p in document["provider"]["aws"] if p.get("alias") == alias)


# (setting, stack, what of the JSON it sets, the literal value there)
EFFECTS: list[tuple[str, str, Callable[[dict[str, Any]], Any], Any]] = [
    ("desired_count", "linear", lambda d: service(d)["desired_count"], "${var.bootstrap ? 0 : 3}"),
    ("min_capacity", "linear", lambda d: one(d, "aws_appautoscaling_target")["min_capacity"], "${var.bootstrap ? 0 : 3}"),
    ("min_capacity", "linear", threshold("running-tasks-low"), 3),
    ("max_capacity", "linear", lambda d: one(d, "aws_appautoscaling_target")["max_capacity"], 7),
    ("db_instance_class", "linear", lambda d: db(d)["instance_class"], "db.t4g.medium"),
    ("db_allocated_storage", "linear", lambda d: db(d)["allocated_storage"], 40),
    ("db_max_allocated_storage", "linear", lambda d: db(d)["max_allocated_storage"], 80),
    ("db_multi_az", "linear", lambda d: db(d)["multi_az"], True),
    ("db_deletion_protection", "linear", lambda d: (db(d)["deletion_protection"], db(d).get("skip_final_snapshot", False)), (True, False)),
    ("db_backup_retention_days", "linear", lambda d: db(d)["backup_retention_period"], 14),
    ("log_retention_days", "linear", lambda d: {g["retention_in_days"] for g in resources(d, "aws_cloudwatch_log_group").values()}, {90}),
    ("db_prevent_destroy", "linear", lambda d: db(d)["lifecycle"]["prevent_destroy"], True),
    ("db_engine_version", "linear", lambda d: db(d)["engine_version"], "16"),
    ("db_apply_immediately", "linear", lambda d: db(d)["apply_immediately"], False),
    # A major version upgrade applies at once, whatever db_apply_immediately says (its documentation).
    ("db_allow_major_version_upgrade", "canary", lambda d: (db(d)["allow_major_version_upgrade"], db(d)["apply_immediately"]), (True, True)),
    ("db_app_user", "linear", lambda d: {e["name"]: e["value"] for e in app(d)["environment"]}["DB_USER"], "payments_app"),
    ("db_app_user", "linear", lambda d: d["data"]["aws_iam_policy_document"]["service_task_iam_database_policy_document"]["statement"][0]
     ["resources"][0].rsplit("/", 1)[1], "payments_app"),
    ("db_ca_cert_identifier", "linear", lambda d: db(d)["ca_cert_identifier"], "rds-ca-ecc384-g1"),
    ("db_storage_customer_key", "canary", lambda d: (db(d)["storage_encrypted"], db(d).get("kms_key_id")), (True, None)),
    ("database_insights_mode", "linear", lambda d: (db(d)["database_insights_mode"], db(d)["performance_insights_retention_period"]),
     ("advanced", 465)),
    ("aws_backup", "linear", lambda d: one(d, "aws_backup_plan")["rule"][0]["enable_continuous_backup"], True),
    ("backup_retention_days", "linear", lambda d: one(d, "aws_backup_plan")["rule"][0]["lifecycle"]["delete_after"], 14),
    ("backup_vault_lock_min_days", "linear", lambda d: named("aws_backup_vault_lock_configuration", "backup_vault_lock")(d)
     ["min_retention_days"], 10),
    ("backup_vault_lock_max_days", "linear", lambda d: named("aws_backup_vault_lock_configuration", "backup_vault_lock")(d)
     ["max_retention_days"], 100),
    ("backup_vault_lock_mode", "linear", lambda d: {lock.get("changeable_for_days") for lock in
     resources(d, "aws_backup_vault_lock_configuration").values()}, {3}),
    ("backup_copy_region", "linear", lambda d: provider("backup_copy")(d)["region"], "us-west-1"),
    ("backup_copy_vault_arn", "linear", lambda d: [a["destination_vault_arn"] for a in one(d, "aws_backup_plan")["rule"][0]["copy_action"]]
     [1:], [COPY_VAULT]),
    ("restore_testing", "linear", lambda d: one(d, "aws_backup_restore_testing_selection")["protected_resource_type"], "RDS"),
    ("restore_testing_schedule", "linear", lambda d: one(d, "aws_backup_restore_testing_plan")["schedule_expression"],
     "cron(15 3 ? * SUN *)"),
    ("restore_testing_validation_hours", "linear", lambda d: one(d, "aws_backup_restore_testing_selection")["validation_window_hours"], 6),
    ("restore_testing_db_instance_class", "linear", lambda d: one(d, "aws_backup_restore_testing_selection")["restore_metadata_overrides"]
     ["dbInstanceClass"], "db.t4g.small"),
    ("region", "linear", lambda d: provider()(d)["region"], "eu-west-1"),
    ("region", "linear", lambda d: resources(d, "aws_vpc_endpoint")["endpoints_ecr_api"]["service_name"], "com.amazonaws.eu-west-1.ecr.api"),
    ("region", "linear", lambda d: app(d)["logConfiguration"]["options"]["awslogs-region"], "eu-west-1"),
    ("allowed_account_ids", "linear", lambda d: provider()(d)["allowed_account_ids"], ["123456789012"]),
    ("vpc_id", "linear", lambda d: d["data"]["aws_vpc"]["network_vpc"], {"id": "vpc-0123456789abcdef0"}),
    ("private_subnet_tags", "linear", tagged_filter("private"), {"name": "tag:tier", "values": ["app"]}),
    ("public_subnet_tags", "linear", tagged_filter("public"), {"name": "tag:tier", "values": ["edge"]}),
    ("private_subnet_ids", "canary", ids_filter("private"), {"name": "subnet-id", "values": ["subnet-0123456789abcdef0",
                                                                                             "subnet-0fedcba9876543210"]}),
    ("public_subnet_ids", "canary", ids_filter("public"), {"name": "subnet-id", "values": ["subnet-0aaaaaaaaaaaaaaaa",
                                                                                           "subnet-0bbbbbbbbbbbbbbbb"]}),
    ("project", "linear", lambda d: provider()(d)["default_tags"][0]["tags"]["Project"], "payments"),
    ("owner", "linear", lambda d: provider()(d)["default_tags"][0]["tags"]["Owner"], "platform"),
    ("cost_center", "linear", lambda d: provider()(d)["default_tags"][0]["tags"]["CostCenter"], "cc-42"),
    ("state_bucket", "linear", lambda d: d["terraform"]["backend"]["s3"]["bucket"], "acme-wallet-state"),
    ("state_region", "linear", lambda d: d["terraform"]["backend"]["s3"]["region"], "eu-central-1"),
    ("ecr_repository", "linear", lambda d: d["data"]["aws_ecr_repository"]["image_repository"]["name"], "payments/wallet"),
    ("container_port", "linear", lambda d: (app(d)["portMappings"][0]["containerPort"],
     named("aws_lb_target_group", "load_balancer_target_group")(d)["port"]), (9000, 9000)),
    ("health_check_path", "linear", lambda d: named("aws_lb_target_group", "load_balancer_target_group")(d)["health_check"]["path"], "/ready"),
    ("task_cpu", "linear", lambda d: resources(d, "aws_ecs_task_definition")["service_task_definition"]["cpu"], "1024"),
    ("task_memory", "linear", lambda d: resources(d, "aws_ecs_task_definition")["service_task_definition"]["memory"], "3072"),
    ("cpu_architecture", "linear", lambda d: resources(d, "aws_ecs_task_definition")["service_task_definition"]["runtime_platform"]
     ["cpu_architecture"], "ARM64"),
    ("fargate_spot_percent", "canary", lambda d: service(d)["capacity_provider_strategy"],
     [{"base": 2, "capacity_provider": "FARGATE", "weight": 40}, {"capacity_provider": "FARGATE_SPOT", "weight": 60}]),
    ("fargate_on_demand_base", "canary", lambda d: service(d)["capacity_provider_strategy"][0]["base"], 2),
    ("alarm_emails", "linear", lambda d: [(s["protocol"], s["endpoint"]) for s in resources(d, "aws_sns_topic_subscription").values()],
     [("email", "oncall@example.com")]),
    ("alarm_notify_arns", "linear", lambda d: threshold_alarm(d, "cpu-high")["alarm_actions"][1:], [ONCALL_TOPIC]),
    ("certificate_arn", "linear", lambda d: named("aws_lb_listener", "load_balancer_https")(d)["certificate_arn"], CERTIFICATE),
    ("certificate_tags", "canary", lambda d: d["data"]["aws_acm_certificate"]["load_balancer_certificate"]["tags"], {"Name": "wallet-payments"}),
    ("tls_policy", "linear", lambda d: named("aws_lb_listener", "load_balancer_https")(d)["ssl_policy"], "ELBSecurityPolicy-TLS13-1-3-2021-06"),
    ("ingress_cidrs", "linear", lambda d: named("aws_vpc_security_group_ingress_rule", "load_balancer_ingress_443_0")(d)["cidr_ipv4"],
     "203.0.113.0/24"),
    ("alb_deletion_protection", "linear", lambda d: one(d, "aws_lb")["enable_deletion_protection"], True),
    ("alb_access_logs", "linear", lambda d: one(d, "aws_lb")["access_logs"]["enabled"], True),
    ("waf", "canary", lambda d: (resources(d, "aws_wafv2_web_acl"), resources(d, "aws_wafv2_web_acl_association")), ({}, {})),
    ("waf_rate_limit_per_5_minutes", "linear", lambda d: one(d, "aws_wafv2_web_acl")["rule"][0]["statement"]["rate_based_statement"]["limit"],
     500),
    ("waf_log_counted", "linear", lambda d: one(d, "aws_wafv2_web_acl_logging_configuration")["logging_filter"]["filter"][0]["condition"],
     [{"action_condition": {"action": "BLOCK"}}, {"action_condition": {"action": "COUNT"}}]),
    ("vpc_endpoints", "canary", lambda d: resources(d, "aws_vpc_endpoint"), {}),
    ("vpc_endpoint_azs", "linear", lambda d: resources(d, "aws_vpc_endpoint")["endpoints_ecr_api"]["subnet_ids"],
     ["${element(sort(local.network_private_subnets_one_per_zone), 0)}", "${element(sort(local.network_private_subnets_one_per_zone), 1)}"]),
    ("enable_ecs_exec", "linear", lambda d: service(d)["enable_execute_command"], False),
    ("health_check_grace_seconds", "linear", lambda d: service(d)["health_check_grace_period_seconds"], 120),
    # 4 bakes of 3 between 5 steps of 20 %, 4 of bake, 20 of start-up, ceil((120 s + 45 s) / 60).
    ("health_check_grace_seconds", "linear", lambda d: service(d)["timeouts"], {"create": "39m", "update": "39m"}),
    ("deployment_strategy", "linear", lambda d: service(d)["deployment_configuration"]["strategy"], '${var.keep_rolling ? "ROLLING" : "LINEAR"}'),
    ("deployment_strategy", "canary", lambda d: service(d)["deployment_configuration"]["strategy"], '${var.keep_rolling ? "ROLLING" : "CANARY"}'),
    ("deployment_strategy", "blue_green", lambda d: service(d)["deployment_configuration"]["strategy"],
     '${var.keep_rolling ? "ROLLING" : "BLUE_GREEN"}'),
    ("canary_percent", "canary", lambda d: service(d)["deployment_configuration"]["dynamic"]["canary_configuration"]["content"]["canary_percent"],
     20),
    ("canary_bake_minutes", "canary", lambda d: service(d)["deployment_configuration"]["dynamic"]["canary_configuration"]["content"]
     ["canary_bake_time_in_minutes"], "7"),
    ("linear_step_percent", "linear", lambda d: service(d)["deployment_configuration"]["dynamic"]["linear_configuration"]["content"]
     ["step_percent"], 20),
    ("linear_step_bake_minutes", "linear", lambda d: service(d)["deployment_configuration"]["dynamic"]["linear_configuration"]["content"]
     ["step_bake_time_in_minutes"], "3"),
    ("deployment_bake_minutes", "linear", lambda d: service(d)["deployment_configuration"]["bake_time_in_minutes"],
     '${var.keep_rolling ? null : "4"}'),
    ("deployment_bake_minutes", "blue_green", lambda d: service(d)["deployment_configuration"]["bake_time_in_minutes"],
     '${var.keep_rolling ? null : "6"}'),
    ("test_listener_port", "linear", lambda d: named("aws_lb_listener", "load_balancer_test")(d)["port"], 8443),
    ("test_listener_cidrs", "linear", lambda d: named("aws_vpc_security_group_ingress_rule", "load_balancer_ingress_test_0")(d)["cidr_ipv4"],
     "10.0.0.0/8"),
    ("deregistration_delay_seconds", "linear", lambda d: named("aws_lb_target_group", "load_balancer_target_group")(d)["deregistration_delay"],
     "45"),
    ("slow_start_seconds", "linear", lambda d: named("aws_lb_target_group", "load_balancer_target_group")(d)["slow_start"], 60),
    ("deploy_alarm_min_requests", "linear", lambda d: [q["expression"] for q in threshold_alarm(d, "deploy-5xx-rate")["metric_query"]
     if q.get("expression", "").startswith("IF")], ["IF(FILL(requests0, 0) >= 50, 100 * FILL(errors0, 0) / FILL(requests0, 0), 0)",
                                                    "IF(FILL(requests1, 0) >= 50, 100 * FILL(errors1, 0) / FILL(requests1, 0), 0)"]),
    ("migration_command", "linear", lambda d: containers(d, "migration_task_definition")["command"], ["flask", "db", "upgrade"]),
    ("alarm_service_cpu_percent", "linear", threshold("cpu-high"), 71),
    ("alarm_service_memory_percent", "linear", threshold("memory-high"), 72),
    ("alarm_db_cpu_percent", "linear", threshold("db-cpu-high"), 73),
    ("alarm_db_connections", "linear", threshold("db-connections-high"), 150),
    ("alarm_db_free_storage_gib", "linear", threshold("db-storage-low"), 5 * 1024**3),
    ("alarm_db_read_latency_seconds", "linear", threshold("db-read-latency-high"), 0.5),
    ("alarm_db_write_latency_seconds", "linear", threshold("db-write-latency-high"), 0.7),
    ("alarm_http_5xx_per_minute", "linear", lambda d: (threshold("target-5xx")(d), threshold("alb-5xx")(d)), (12, 12)),
    ("alarm_response_time_seconds", "linear", threshold("response-time-high"), 3),
    ("alarm_requests_per_minute", "linear", threshold("requests-high"), 2000),
    ("alarm_deploy_5xx_percent", "linear", threshold("deploy-5xx-rate"), 7),
    ("alarm_deploy_p99_seconds", "linear", threshold("deploy-p99-latency"), 1.5),
    ("image_tag", "linear", lambda d: d["variable"]["image_tag"]["default"], "v9.9.9"),
]  # fmt: skip


@pytest.mark.parametrize(("setting", "stack", "effect", "expected"), EFFECTS, ids=[f"{setting}-{stack}" for setting, stack, *_ in EFFECTS])
def test_a_setting_other_than_its_default_reaches_the_json(
    built: dict[str, dict[str, Any]], setting: str, stack: str, effect: Callable[[dict[str, Any]], Any], expected: Any
) -> None:
    assert effect(built[stack]) == expected


def test_every_setting_is_set_and_asserted() -> None:
    """Each field a team may set is set here to a value other than its default (the table's, for the environment) and
    its effect asserted, or is in ELSEWHERE; a new setting needs a line in EFFECTS."""
    settings = {f.name for f in dataclasses.fields(config.EnvironmentConfig)} - config.FIXED_FIELDS
    assert settings - set(ELSEWHERE) == {setting for setting, *_ in EFFECTS}
    set_here = {**LINEAR, **SHARED}.keys() | CANARY.keys() | BLUE_GREEN.keys()
    assert {setting for setting, *_ in EFFECTS} <= set_here
    default = config.DEFAULTS[STACK]
    for stack, overrides in (("linear", {**LINEAR, **SHARED}), ("canary", CANARY), ("blue_green", BLUE_GREEN)):
        for setting in {s for s, where, *_ in EFFECTS if where == stack}:
            value = overrides[setting]
            value = tuple(value) if isinstance(value, list) else value
            assert value != getattr(default, setting), f"{setting}: {value!r} is its default in {STACK}"
