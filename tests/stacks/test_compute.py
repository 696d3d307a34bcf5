"""The running service in every environment: load balancer, service, tasks, scaling, migrations, endpoints."""

from __future__ import annotations

from typing import Any

from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster
from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from tests.expected import EXPECTED
from tests.helpers import container, data_sources, resources, synth_environment

PRIVATE_SUBNETS = "${data.aws_subnets.network_private_subnets.ids}"
# The defaults: staging and prod release by canary, 10 % of the traffic for 5 minutes, then all; the old revision stays
# ready for 10 more minutes. dev rolls.
DEPLOYMENT = {
    "ROLLING": {"strategy": "ROLLING"},
    # keep_rolling (the first apply of a switch from rolling) holds the strategy at ROLLING, without bake or canary.
    "CANARY": {
        "strategy": '${var.keep_rolling ? "ROLLING" : "CANARY"}',
        "bake_time_in_minutes": '${var.keep_rolling ? null : "10"}',
        "dynamic": {
            "canary_configuration": {
                "for_each": "${var.keep_rolling ? [] : [1]}",
                "content": {"canary_percent": 10, "canary_bake_time_in_minutes": "5"},
            }
        },
    },
}
# Which group serves follows the live rule's weights as read at plan time (ECS swaps them in each deployment).
WEIGHTS = (
    "{for group in flatten([data.aws_lb_listener_rule.load_balancer_live_rule_weights.action[0].forward])[0].target_group"
    " : group.arn => group.weight}"
)
PRIMARY, ALTERNATE = "aws_lb_target_group.load_balancer_target_group.arn", "aws_lb_target_group.load_balancer_alternate_target_group.arn"
SWAPPED = f"try(lookup({WEIGHTS}, {ALTERNATE}, 0) > lookup({WEIGHTS}, {PRIMARY}, 0), false)"
LIVE, STANDBY = f"${{{SWAPPED} ? {ALTERNATE} : {PRIMARY}}}", f"${{{SWAPPED} ? {PRIMARY} : {ALTERNATE}}}"
SHIFT = {
    "alternate_target_group_arn": STANDBY,
    "production_listener_rule": "${aws_lb_listener_rule.load_balancer_live_rule.arn}",
    "role_arn": "${aws_iam_role.service_traffic_shift_role.arn}",
}
DB_SECRET = "${aws_db_instance.database_instance.master_user_secret[0].secret_arn}"


def test_load_balancer(synthesized: dict[str, str], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[env_stack],
        Lb.TF_RESOURCE_TYPE,
        {
            "name": f"wallet-service-{c.environment}",
            "internal": False,
            "load_balancer_type": "application",
            "subnets": "${local.network_public_subnets_one_per_zone}",  # a load balancer takes one subnet per zone
            "drop_invalid_header_fields": True,
            "desync_mitigation_mode": "defensive",
            "enable_deletion_protection": c.alb_protected,
        },
    )
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[env_stack],
        LbTargetGroup.TF_RESOURCE_TYPE,
        {
            "target_type": "ip",
            "protocol": "HTTP",
            "port": 8080,
            "deregistration_delay": "30",
            "slow_start": 0,
            "health_check": {
                "path": "/health",
                "matcher": "200-399",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            # The port is only a default (ECS registers each task with its container port): set at creation, then
            # ignored, so a container_port change never replaces a group the listener forwards to.
            "lifecycle": {"ignore_changes": ["port"]},
        },
    )


def test_a_port_change_keeps_the_old_port_open_until_the_service_has_moved(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """The load balancer's egress to the tasks and the tasks' ingress from it: a new port replaces each rule, the new
    one first (a terraform_data holds the port), and the service depends on both, so Terraform destroys the old rules
    only after the service's apply (which waits for its deployment) has moved the tasks."""
    document = parsed[env_stack]
    rules = {
        "aws_vpc_security_group_egress_rule.load_balancer_egress_service": "load_balancer_egress_service_port",
        "aws_vpc_security_group_ingress_rule.service_task_ingress_load_balancer": "service_task_ingress_load_balancer_port",
    }
    for address, holder in rules.items():
        kind, name = address.split(".")
        rule = resources(document, kind)[name]
        assert (rule["from_port"], rule["to_port"]) == (8080, 8080)
        assert rule["lifecycle"] == {"create_before_destroy": True, "replace_triggered_by": [f"terraform_data.{holder}"]}
        assert resources(document, "terraform_data")[holder]["input"] == 8080
    [service] = resources(document, "aws_ecs_service").values()
    assert set(rules) <= set(service["depends_on"])


def test_settings_of_the_release_path_reach_the_json(customized: dict[str, Any]) -> None:
    """staging with container_port 9090, a 20-minute bake and database changes held for the window (conftest's
    CUSTOMIZED): every port follows, and the apply waits 5 + 20 minutes of canary longer than the start-up allowance."""
    [service] = resources(customized, "aws_ecs_service").values()
    assert [item["container_port"] for item in service["load_balancer"]] == [9090]
    assert service["timeouts"] == {"create": "47m", "update": "47m"}
    assert {group["port"] for group in resources(customized, "aws_lb_target_group").values()} == {9090}
    assert {data["input"] for name, data in resources(customized, "terraform_data").items() if name.endswith("_port")} == {9090}
    assert resources(customized, "aws_vpc_security_group_egress_rule")["load_balancer_egress_service"]["to_port"] == 9090
    assert resources(customized, "aws_vpc_security_group_ingress_rule")["service_task_ingress_load_balancer"]["from_port"] == 9090
    assert resources(customized, "aws_db_instance")["database_instance"]["apply_immediately"] is False


def test_prod_serves_https_and_redirects_http(parsed: dict[str, dict[str, Any]]) -> None:
    listeners = resources(parsed["wallet-prod"], LbListener.TF_RESOURCE_TYPE)
    assert set(listeners) == {"load_balancer_https", "load_balancer_http"}
    https = listeners["load_balancer_https"]
    # AWS's recommended hybrid post-quantum policy (ML-KEM where the client offers it, classical ECDHE otherwise).
    assert (https["port"], https["protocol"], https["ssl_policy"]) == (443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09")
    assert https["certificate_arn"] == "${data.aws_acm_certificate.load_balancer_certificate.arn}"
    assert https["default_action"] == [{"type": "forward", "target_group_arn": "${aws_lb_target_group.load_balancer_target_group.arn}"}]
    assert listeners["load_balancer_http"]["default_action"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
    ]
    [certificate] = parsed["wallet-prod"]["data"]["aws_acm_certificate"].values()
    assert (certificate["tags"], certificate["statuses"], certificate["most_recent"]) == ({"Name": "wallet-prod"}, ["ISSUED"], True)


def test_the_tls_policy_setting_reaches_the_https_listener() -> None:
    document = synth_environment("wallet-prod", {"tls_policy": "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09"})
    assert resources(document, "aws_lb_listener")["load_balancer_https"]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09"


def test_dev_and_staging_without_certificate_serve_plain_http(parsed: dict[str, dict[str, Any]]) -> None:
    for stack in ("wallet-dev", "wallet-staging"):
        listeners = resources(parsed[stack], LbListener.TF_RESOURCE_TYPE)
        assert list(listeners) == ["load_balancer_http"]
        assert listeners["load_balancer_http"]["default_action"][0]["type"] == "forward"


def test_access_logs_in_prod_only(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    alb = resources(document, Lb.TF_RESOURCE_TYPE)["load_balancer_alb"]
    buckets = resources(document, "aws_s3_bucket")
    if not EXPECTED[env_stack].access_logs:
        assert "access_logs" not in alb
        assert not buckets
        return
    assert alb["access_logs"] == {"bucket": "${aws_s3_bucket.load_balancer_access_logs_bucket.bucket}", "enabled": True}
    assert alb["depends_on"] == ["aws_s3_bucket_policy.load_balancer_access_logs_policy"]
    assert (
        buckets["load_balancer_access_logs_bucket"]["bucket"]
        == "wallet-service-prod-alb-logs-${data.aws_caller_identity.account.account_id}"
    )
    encryption = resources(document, "aws_s3_bucket_server_side_encryption_configuration")["load_balancer_access_logs_encryption"]
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    [rule] = resources(document, "aws_s3_bucket_lifecycle_configuration")["load_balancer_access_logs_lifecycle"]["rule"]
    assert rule["expiration"] == [{"days": 90}]
    policy = document["data"]["aws_iam_policy_document"]["load_balancer_access_logs_policy_document"]
    writers = next(s for s in policy["statement"] if s.get("sid") == "Writers")
    assert writers["actions"] == ["s3:PutObject"]
    assert writers["resources"] == ["${aws_s3_bucket.load_balancer_access_logs_bucket.arn}/AWSLogs/*"]


def test_cluster_and_log_groups(synthesized: dict[str, str], parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[env_stack],
        EcsCluster.TF_RESOURCE_TYPE,
        {"name": f"wallet-service-cluster-{c.environment}", "setting": [{"name": "containerInsights", "value": "enabled"}]},
    )
    groups = resources(parsed[env_stack], "aws_cloudwatch_log_group")
    assert groups["service_task_log_group"] == {
        **groups["service_task_log_group"],
        "name": f"/aws/ecs/wallet-service/{c.environment}",
        "retention_in_days": c.log_days,
    }
    assert groups["migration_task_log_group"]["name"] == f"/aws/ecs/WalletMigrations/{c.environment}"


def test_task_definitions(synthesized: dict[str, str], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    common = {
        "requires_compatibilities": ["FARGATE"],
        "network_mode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "runtime_platform": {"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
    }
    # Where ECS Exec is on (dev's service), the agent's three writable volumes; the root filesystem stays read-only.
    exec_volumes = [{"name": "ssm-state"}, {"name": "ssm-logs"}, {"name": "managed-agents"}] if c.ecs_exec else []
    for family, volumes in (
        (f"wallet-service-{c.environment}", [{"name": "scratch"}, *exec_volumes]),
        (f"wallet-service-migration-{c.environment}", [{"name": "scratch"}]),
    ):
        assert CdktfTesting.to_have_resource_with_properties(
            synthesized[env_stack], EcsTaskDefinition.TF_RESOURCE_TYPE, {**common, "family": family, "volume": volumes}
        )


def test_containers_are_hardened_and_get_secrets_by_reference(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    for task_definition, log_group, image in (
        ("service_task_definition", f"/aws/ecs/wallet-service/{c.environment}", "image_tagged"),
        ("migration_task_definition", f"/aws/ecs/WalletMigrations/{c.environment}", "image_migration_tagged"),
    ):
        definition = container(parsed[env_stack], task_definition)
        master = task_definition == "migration_task_definition"
        assert (
            definition["image"]
            == f"${{data.aws_ecr_repository.image_repository.repository_url}}@${{data.aws_ecr_image.{image}.image_digest}}"
        )
        assert (definition["readonlyRootFilesystem"], definition["privileged"]) == (True, False)
        assert (definition["essential"], definition["stopTimeout"], definition["linuxParameters"]) == (
            True,
            30,
            {"initProcessEnabled": True},
        )
        exec_mounts = [
            {"sourceVolume": "ssm-state", "containerPath": "/var/lib/amazon/ssm", "readOnly": False},
            {"sourceVolume": "ssm-logs", "containerPath": "/var/log/amazon/ssm", "readOnly": False},
            {"sourceVolume": "managed-agents", "containerPath": "/managed-agents", "readOnly": False},
        ]
        assert definition["mountPoints"] == [
            {"sourceVolume": "scratch", "containerPath": "/tmp", "readOnly": False},
            *(exec_mounts if c.ecs_exec and not master else []),
        ]
        assert definition["logConfiguration"] == {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "wallet-service"},
        }
        environment = {item["name"]: item["value"] for item in definition["environment"]}
        assert environment == {
            "DB_HOST": "${aws_db_instance.database_instance.address}",
            "DB_PORT": "${aws_db_instance.database_instance.port}",
            "DB_NAME": "wallet",
            "DB_SSLMODE": "verify-full",
            "ENVIRONMENT": c.environment,
            # The service: its own user, with IAM tokens; the migrations: the master user from the secret.
            **({} if master else {"DB_USER": "wallet_app", "DB_IAM_AUTH": "true"}),
        }
        assert not [value for value in environment.values() if "secret" in value.lower() or "password" in value.lower()]
        credentials = [
            {"name": "DB_PASSWORD", "valueFrom": f"{DB_SECRET}:password::"},
            {"name": "DB_USERNAME", "valueFrom": f"{DB_SECRET}:username::"},
        ]
        assert definition["secrets"] == (credentials if master else [])
    assert container(parsed[env_stack], "service_task_definition")["portMappings"] == [
        {"containerPort": 8080, "protocol": "tcp", "name": "http"}
    ]
    assert container(parsed[env_stack], "migration_task_definition")["command"] == ["migrate"]
    assert "portMappings" not in container(parsed[env_stack], "migration_task_definition")
    # ECS replaces a task whose container fails this (the image needs curl; app_health_check sets another command).
    assert container(parsed[env_stack], "service_task_definition")["healthCheck"] == {
        "command": ["CMD-SHELL", "curl -fsS http://localhost:8080/health || exit 1"], "interval": 30, "timeout": 5, "retries": 3,
        "startPeriod": 60,
    }  # fmt: skip
    assert "healthCheck" not in container(parsed[env_stack], "migration_task_definition")


def test_bootstrap_is_off_unless_the_first_deploy_asks(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    variable = parsed[env_stack]["variable"]["bootstrap"]
    assert (variable["type"], variable["default"], variable["nullable"]) == ("bool", False, False)


def test_image_tag_is_resolved_to_a_digest(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """The service runs image_tag; the migrations run migration_image_tag, or image_tag when it is empty, so a release's
    migrations can run before the service moves to it."""
    data = parsed[env_stack]["data"]
    assert data["aws_ecr_repository"] == {"image_repository": {**data["aws_ecr_repository"]["image_repository"], "name": "wallet-service"}}
    tags = {"image_tagged": "${var.image_tag}", "image_migration_tagged": "${coalesce(var.migration_image_tag, var.image_tag)}"}
    assert set(data["aws_ecr_image"]) == set(tags)
    for image, tag in tags.items():
        assert data["aws_ecr_image"][image] == {
            **data["aws_ecr_image"][image],
            "repository_name": "${data.aws_ecr_repository.image_repository.name}",
            "image_tag": tag,
        }
    variable = parsed[env_stack]["variable"]["migration_image_tag"]
    # A default, so that a plan without the variable is no error ("No value for required variable").
    assert (variable["type"], variable["nullable"], variable.get("default")) == ("string", False, "")
    [check] = variable["validation"]
    assert check["condition"] == (
        '${var.migration_image_tag == "" || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.migration_image_tag))}'
    )


def test_service(synthesized: dict[str, str], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    # Spot or not: always a capacity provider strategy (changed in place only with force_new_deployment).
    capacity = {"capacity_provider_strategy": c.capacity, "force_new_deployment": True}
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[env_stack],
        EcsService.TF_RESOURCE_TYPE,
        {
            "name": f"wallet-service-{c.environment}",
            # No task on the first apply (bootstrap: the schema comes with the migrations after it).
            "desired_count": f"${{var.bootstrap ? 0 : {c.desired}}}",
            **capacity,
            "platform_version": "LATEST",
            "network_configuration": {
                "subnets": PRIVATE_SUBNETS,
                "security_groups": ["${aws_security_group.service_task_security_group.id}"],
                "assign_public_ip": False,
            },
            "load_balancer": [
                {
                    "target_group_arn": "${aws_lb_target_group.load_balancer_target_group.arn}" if c.strategy == "ROLLING" else LIVE,
                    "container_name": "wallet-service",
                    "container_port": 8080,
                    **({} if c.strategy == "ROLLING" else {"advanced_configuration": SHIFT}),
                }
            ],
            "deployment_configuration": DEPLOYMENT[c.strategy],
            "deployment_circuit_breaker": {"enable": True, "rollback": True},
            "deployment_minimum_healthy_percent": 100,
            "deployment_maximum_percent": 200,
            "health_check_grace_period_seconds": 60,
            "propagate_tags": "SERVICE",
            "enable_execute_command": c.ecs_exec,
            # The apply waits for the deployment, the canary's bakes included: rolling 20 min of start-up plus the
            # grace period and the deregistration delay; the canary 5 + 10 min more.
            "wait_for_steady_state": True,
            "timeouts": {"create": c.deploy_timeout, "update": c.deploy_timeout},
            # Auto scaling owns the count. The load balancer block is Terraform's in every strategy (ECS shifts traffic
            # on the listener rule), so a port, rule or role change reaches the service.
            "lifecycle": {"ignore_changes": ["desired_count"]},
        },
    )


def test_traffic_is_shifted_by_the_live_rule_with_a_scoped_role(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """Canary environments: a second target group like the first, one rule on the serving listener forwarding to
    both (all traffic to the first; Terraform leaves the weights to ECS), and the infrastructure role ECS uses, allowed
    exactly the load balancer actions on these resources."""
    c, document = EXPECTED[env_stack], parsed[env_stack]
    groups = resources(document, "aws_lb_target_group")
    rules = resources(document, "aws_lb_listener_rule")
    if c.strategy == "ROLLING":
        assert set(groups) == {"load_balancer_target_group"} and not rules
        assert not [name for name in resources(document, "aws_iam_role") if "traffic_shift" in name]
        return
    primary, alternate = groups["load_balancer_target_group"], groups["load_balancer_alternate_target_group"]
    assert alternate["name"] == f"wallet-service-{c.environment}-alt"
    assert {**primary, "name": None, "//": None} == {**alternate, "name": None, "//": None}
    listener = "https" if c.https else "http"
    assert rules == {
        "load_balancer_live_rule": {
            **rules["load_balancer_live_rule"],
            "listener_arn": f"${{aws_lb_listener.load_balancer_{listener}.arn}}",
            "priority": 1,
            "condition": [{"path_pattern": {"values": ["/*"]}}],
            "action": [
                {
                    "type": "forward",
                    "forward": {
                        "target_group": [
                            {"arn": "${aws_lb_target_group.load_balancer_target_group.arn}", "weight": 100},
                            {"arn": "${aws_lb_target_group.load_balancer_alternate_target_group.arn}", "weight": 0},
                        ]
                    },
                }
            ],
            "lifecycle": {"ignore_changes": ["action"]},
        }
    }
    role = resources(document, "aws_iam_role")["service_traffic_shift_role"]
    assert role["name"] == f"wallet-service-{c.environment}-traffic-shift"
    [trust] = data_sources(document, "aws_iam_policy_document")["service_traffic_shift_trust"]["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["ecs.amazonaws.com"]}]
    assert "condition" not in trust  # AWS's trust policy for the ECS infrastructure role has none
    statements = {
        s["sid"]: (s["actions"], s["resources"])
        for s in data_sources(document, "aws_iam_policy_document")["service_traffic_shift_policy_document"]["statement"]
    }
    assert statements == {
        "Describe": (
            ["elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
             "elasticloadbalancing:DescribeTargetHealth"],
            ["*"],
        ),
        "Targets": (
            ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            ["${aws_lb_target_group.load_balancer_target_group.arn}", "${aws_lb_target_group.load_balancer_alternate_target_group.arn}"],
        ),
        "Rules": (["elasticloadbalancing:ModifyRule"], ["${aws_lb_listener_rule.load_balancer_live_rule.arn}"]),
        "Listeners": (["elasticloadbalancing:ModifyListener"], [f"${{aws_lb_listener.load_balancer_{listener}.arn}}"]),
    }  # fmt: skip
    [service] = resources(document, "aws_ecs_service").values()
    assert "aws_iam_role_policy.service_traffic_shift_policy" in service["depends_on"]


def test_spot_outside_production_only(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """Both Fargate capacity providers are on every cluster (the strategy may only name those), the service runs on
    Spot where the table says so, and never without the launch type or a strategy; the migrations stay on-demand."""
    document = parsed[env_stack]
    [providers] = resources(document, "aws_ecs_cluster_capacity_providers").values()
    assert providers["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]
    assert providers["cluster_name"] == "${aws_ecs_cluster.service_cluster.name}"
    [service] = resources(document, "aws_ecs_service").values()
    assert "aws_ecs_cluster_capacity_providers.service_capacity_providers" in service["depends_on"]
    uses_spot = "FARGATE_SPOT" in str(service.get("capacity_provider_strategy"))
    assert uses_spot == (EXPECTED[env_stack].spot[0] > 0)
    assert "launch_type" not in service and service["force_new_deployment"] is True
    assert "--capacity-provider-strategy capacityProvider=FARGATE,weight=1 " in document["output"]["migration_command"]["value"]


def test_spot_percent_zero_alone_turns_spot_off() -> None:
    """Staging's table has an on-demand base of 1; fargate_spot_percent 0 alone is enough (the base is ignored), and
    the service keeps a strategy: FARGATE alone, no launch type, so the switch is an in-place update."""
    [service] = resources(synth_environment("wallet-staging", {"fargate_spot_percent": 0}), "aws_ecs_service").values()
    assert service["capacity_provider_strategy"] == [{"capacity_provider": "FARGATE", "weight": 100}]
    assert service["force_new_deployment"] is True
    assert "launch_type" not in service


def test_scaling_is_replaced_with_the_service(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """ECS deletes a service's scalable target and policies with it: a replacement of the service (its id, unknown
    until the new one exists) replaces them too; an in-place update of the service (every release) does not."""
    document = parsed[env_stack]
    scaling = {**resources(document, "aws_appautoscaling_target"), **resources(document, "aws_appautoscaling_policy")}
    assert sorted(scaling) == ["autoscaling_cpu", "autoscaling_memory", "autoscaling_target"]
    for resource in scaling.values():
        assert resource["lifecycle"] == {"replace_triggered_by": ["aws_ecs_service.service_service.id"]}


def test_ecs_exec_permissions_in_dev_only(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    policies = resources(parsed[env_stack], "aws_iam_role_policy")
    assert ("service_task_iam_exec_policy" in policies) == EXPECTED[env_stack].ecs_exec
    assert "migration_task_iam_exec_policy" not in policies


def test_autoscaling(synthesized: dict[str, str], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    text = synthesized[env_stack]
    assert CdktfTesting.to_have_resource_with_properties(
        text,
        AppautoscalingTarget.TF_RESOURCE_TYPE,
        {
            "min_capacity": f"${{var.bootstrap ? 0 : {c.min_tasks}}}",  # held at 0 until the migrations ran
            "max_capacity": c.max_tasks,
            "resource_id": "service/${aws_ecs_cluster.service_cluster.name}/${aws_ecs_service.service_service.name}",
            "scalable_dimension": "ecs:service:DesiredCount",
        },
    )
    for metric, target in (("ECSServiceAverageCPUUtilization", 70), ("ECSServiceAverageMemoryUtilization", 80)):
        assert CdktfTesting.to_have_resource_with_properties(
            text,
            AppautoscalingPolicy.TF_RESOURCE_TYPE,
            {
                "policy_type": "TargetTrackingScaling",
                "target_tracking_scaling_policy_configuration": {
                    "target_value": target,
                    "predefined_metric_specification": {"predefined_metric_type": metric},
                    "scale_in_cooldown": 300,
                    "scale_out_cooldown": 60,
                },
            },
        )


def test_migration_command_output_is_complete(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    command = parsed[env_stack]["output"]["migration_command"]["value"]
    assert command == (
        "aws ecs run-task --cluster ${aws_ecs_cluster.service_cluster.name} "
        "--task-definition ${aws_ecs_task_definition.migration_task_definition.arn} "
        "--capacity-provider-strategy capacityProvider=FARGATE,weight=1 "
        '--network-configuration "awsvpcConfiguration={subnets=[${join(",", data.aws_subnets.network_private_subnets.ids)}],'
        'securityGroups=[${aws_security_group.migration_task_security_group.id}],assignPublicIp=DISABLED}"'
    )


def test_vpc_endpoints(synthesized: dict[str, str], parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    text = synthesized[env_stack]
    interface = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"] + (["ssmmessages"] if EXPECTED[env_stack].ecs_exec else [])  # ECS Exec
    endpoints = resources(parsed[env_stack], VpcEndpoint.TF_RESOURCE_TYPE).values()
    assert sorted(e["service_name"] for e in endpoints if e["vpc_endpoint_type"] == "Interface") == [
        f"com.amazonaws.us-east-1.{service}" for service in sorted(interface)
    ]
    azs = EXPECTED[env_stack].endpoint_azs
    # One subnet per zone (an endpoint takes no more). Fewer AZs: the first of those by id, a JSON list of that length,
    # and a plan-time check that there are that many zones (element() would wrap around).
    one_per_zone = "local.network_private_subnets_one_per_zone"
    subnets = f"${{{one_per_zone}}}" if azs is None else [f"${{element(sort({one_per_zone}), {i})}}" for i in range(azs)]
    for service in interface:
        assert CdktfTesting.to_have_resource_with_properties(
            text,
            VpcEndpoint.TF_RESOURCE_TYPE,
            {
                "service_name": f"com.amazonaws.us-east-1.{service}",
                "vpc_endpoint_type": "Interface",
                "private_dns_enabled": True,
                "subnet_ids": subnets,
                "security_group_ids": ["${aws_security_group.endpoints_security_group.id}"],
            },
        )
    for endpoint in endpoints:
        if azs is not None and endpoint["vpc_endpoint_type"] == "Interface":
            [check] = endpoint["lifecycle"]["precondition"]
            assert check["condition"] == f"${{(length({one_per_zone}) >= {azs})}}"
        else:
            assert "lifecycle" not in endpoint
    assert CdktfTesting.to_have_resource_with_properties(
        text,
        VpcEndpoint.TF_RESOURCE_TYPE,
        {
            "service_name": "com.amazonaws.us-east-1.s3",
            "vpc_endpoint_type": "Gateway",
            "route_table_ids": "${local.network_private_route_tables}",
        },
    )


def test_outputs(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    outputs = parsed[env_stack]["output"]
    assert set(outputs) == {
        "alarm_topic_arn",
        "dashboard_url",
        "service_url",
        "alb_dns_name",
        "cluster_name",
        "service_name",
        "task_definition_arn",
        "migration_task_definition_arn",
        "migration_security_group_id",
        "private_subnet_ids",
        "service_image_tag",
        "service_log_group",
        "migration_log_group",
        "migration_command",
        "vpc_id",
        "db_endpoint",
        "db_secret_arn",
    }
    # What `pipenv run migrate` reads, and the release the pipeline keeps while the migrations run.
    assert outputs["migration_security_group_id"]["value"] == "${aws_security_group.migration_task_security_group.id}"
    assert outputs["private_subnet_ids"]["value"] == PRIVATE_SUBNETS
    assert outputs["service_image_tag"]["value"] == "${var.image_tag}"
    scheme = "https" if EXPECTED[env_stack].https else "http"
    assert outputs["service_url"]["value"] == f"{scheme}://${{aws_lb.load_balancer_alb.dns_name}}"
    assert all(output["description"] for output in outputs.values())
