"""The ECS constructs alone: EcsTask, FargateService, MigrationTask, TaskIam, and the container definition."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformOutput
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.ecs_service import EcsService

from constructs_lib.container import ContainerProps, container_definitions, secret_reference
from constructs_lib.ecs_task import EcsTaskProps
from constructs_lib.fargate_service import FargateService, FargateServiceProps, SpotCapacity, TrafficShift
from constructs_lib.migration_task import MigrationTask, MigrationTaskProps
from tests.helpers import bare_stack, data_sources, resources


def task_props(port: int | None = 8080, ecs_exec: bool = False, **overrides: Any) -> EcsTaskProps:
    return EcsTaskProps(
        family="example",
        container=ContainerProps(name="app", image="repo@sha256:abc", log_group_name="/example", region="eu-west-1", port=port),
        cpu=512,
        memory=1024,
        account_id="123456789012",
        vpc_id="vpc-12345678",
        ecr_repository_arn="arn:aws:ecr:eu-west-1:123456789012:repository/example",
        log_retention_days=14,
        ecs_exec=ecs_exec,
        **overrides,
    )


def service(**overrides: Any) -> dict[str, Any]:
    stack = bare_stack()
    props: dict[str, Any] = {
        "cluster_name": "example-cluster",
        "service_name": "example",
        "task": task_props(),
        "subnet_ids": ["subnet-1", "subnet-2"],
        "desired_count": 2,
        "target_group_arn": "arn:tg",
        "listeners": [],
    }
    FargateService(stack, "service", props=FargateServiceProps(**{**props, **overrides}))
    return dict(json.loads(CdktfTesting.synth(stack)))


def test_service_defaults() -> None:
    document = service()
    [ecs] = resources(document, EcsService.TF_RESOURCE_TYPE).values()
    assert (ecs["enable_execute_command"], ecs["health_check_grace_period_seconds"], ecs["wait_for_steady_state"]) == (False, 60, True)
    assert "alarms" not in ecs
    assert [g["retention_in_days"] for g in resources(document, "aws_cloudwatch_log_group").values()] == [14]
    [definition] = resources(document, "aws_ecs_task_definition").values()
    assert (definition["cpu"], definition["memory"]) == ("512", "1024")


def test_on_demand_by_default() -> None:
    """On-demand is a strategy too (FARGATE alone), never the launch type: switching Spot on later is in place."""
    [ecs] = resources(service(), EcsService.TF_RESOURCE_TYPE).values()
    assert ecs["capacity_provider_strategy"] == [{"capacity_provider": "FARGATE", "weight": 100}]
    assert ecs["force_new_deployment"] is True
    assert "launch_type" not in ecs


@pytest.mark.parametrize(
    ("spot", "strategy"),
    [
        (SpotCapacity(percent=0, on_demand_base=3), [{"capacity_provider": "FARGATE", "weight": 100}]),
        (SpotCapacity(percent=100), [{"capacity_provider": "FARGATE_SPOT", "weight": 100}]),
        (
            SpotCapacity(percent=100, on_demand_base=2),
            [{"capacity_provider": "FARGATE", "base": 2, "weight": 0}, {"capacity_provider": "FARGATE_SPOT", "weight": 100}],
        ),
        (
            SpotCapacity(percent=75),
            [{"capacity_provider": "FARGATE", "base": 0, "weight": 25}, {"capacity_provider": "FARGATE_SPOT", "weight": 75}],
        ),
    ],
    ids=["spot-off-base-ignored", "all-spot", "base-then-spot", "three-quarters-spot"],
)
def test_spot_capacity_strategy(spot: SpotCapacity, strategy: list[dict[str, Any]]) -> None:
    document = service(spot=spot)
    [ecs] = resources(document, EcsService.TF_RESOURCE_TYPE).values()
    assert ecs["capacity_provider_strategy"] == strategy
    assert ecs["force_new_deployment"] is True
    assert "launch_type" not in ecs
    [providers] = resources(document, "aws_ecs_cluster_capacity_providers").values()
    assert providers["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]


def test_task_architecture_is_the_images() -> None:
    [definition] = resources(service(task=task_props(cpu_architecture="ARM64")), "aws_ecs_task_definition").values()
    assert definition["runtime_platform"] == {"operating_system_family": "LINUX", "cpu_architecture": "ARM64"}


def test_deployment_alarms_roll_back() -> None:
    assert CdktfTesting.to_have_resource_with_properties(
        json.dumps(service(deployment_alarm_names=["a", "b"])),
        EcsService.TF_RESOURCE_TYPE,
        {"alarms": {"alarm_names": ["a", "b"], "enable": True, "rollback": True}},
    )


def test_exec_adds_only_session_manager_channels() -> None:
    document = service(task=task_props(ecs_exec=True), enable_execute_command=True)
    [exec_policy] = [p for name, p in data_sources(document, "aws_iam_policy_document").items() if "exec_policy" in name]
    [statement] = exec_policy["statement"]
    assert {action.split(":")[0] for action in statement["actions"]} == {"ssmmessages"}


def test_service_without_port_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a container port"):
        service(task=task_props(port=None))


def test_execution_role_without_secrets_has_no_secrets_statement() -> None:
    document = service()
    [execution] = [p for name, p in data_sources(document, "aws_iam_policy_document").items() if "execution_policy" in name]
    assert [s["sid"] for s in execution["statement"]] == ["EcrLogin", "EcrPull", "Logs"]


def test_migration_task_command_names_everything() -> None:
    stack = bare_stack()
    migration = MigrationTask(
        stack,
        "migration",
        props=MigrationTaskProps(task=task_props(port=None), cluster_name="example-cluster", subnet_ids=["subnet-1", "subnet-2"]),
    )
    TerraformOutput(stack, "command", value=migration.run_task_command)
    command = json.loads(CdktfTesting.synth(stack))["output"]["command"]["value"]
    assert command.startswith("aws ecs run-task --cluster example-cluster --task-definition ${aws_ecs_task_definition.")
    assert 'subnets=[${join(",", ["subnet-1", "subnet-2"])}]' in command
    assert "assignPublicIp=DISABLED" in command


def test_container_definition_is_hardened() -> None:
    [definition] = json.loads(
        container_definitions(
            ContainerProps(
                name="app",
                image="repo@sha256:abc",
                log_group_name="/g",
                region="eu-west-1",
                environment={"B": "2", "A": "1"},
                secrets={"PASSWORD": secret_reference("arn:secret", "password")},
                command=["migrate", "--up"],
            )
        )
    )
    assert definition["environment"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert definition["secrets"] == [{"name": "PASSWORD", "valueFrom": "arn:secret:password::"}]
    assert (definition["readonlyRootFilesystem"], definition["privileged"], definition["command"]) == (True, False, ["migrate", "--up"])
    assert definition["logConfiguration"]["logDriver"] == "awslogs"
    assert "portMappings" not in definition


SHIFT: dict[str, Any] = {
    "alternate_target_group_arn": "arn:tg-alt",
    "production_rule_arn": "arn:rule",
    "listener_arns": ["arn:listener"],
}


@pytest.mark.parametrize(
    ("shift", "configuration"),
    [
        (
            TrafficShift(strategy="LINEAR", linear_step_percent=20, linear_step_bake_minutes=3, bake_minutes=15, **SHIFT),
            {
                "strategy": "LINEAR",
                "bake_time_in_minutes": "15",
                "linear_configuration": {"step_percent": 20, "step_bake_time_in_minutes": "3"},
            },
        ),
        (TrafficShift(strategy="BLUE_GREEN", bake_minutes=0, **SHIFT), {"strategy": "BLUE_GREEN", "bake_time_in_minutes": "0"}),
    ],
    ids=["linear", "blue-green"],
)
def test_traffic_shift_strategies(shift: TrafficShift, configuration: dict[str, Any]) -> None:
    [ecs] = resources(service(traffic_shift=shift), EcsService.TF_RESOURCE_TYPE).values()
    assert ecs["deployment_configuration"] == configuration
    [balancer] = ecs["load_balancer"]
    assert balancer["advanced_configuration"]["production_listener_rule"] == "arn:rule"
    assert "test_listener_rule" not in balancer["advanced_configuration"]
    assert ecs["lifecycle"] == {"ignore_changes": ["desired_count"]}  # the load balancer block stays Terraform's


def test_a_held_linear_deployment_keeps_rolling_until_the_expression_is_false() -> None:
    held = TrafficShift(strategy="LINEAR", linear_step_percent=20, linear_step_bake_minutes=3, hold_rolling="var.hold", **SHIFT)
    [ecs] = resources(service(traffic_shift=held), EcsService.TF_RESOURCE_TYPE).values()
    assert ecs["deployment_configuration"] == {
        "strategy": '${var.hold ? "ROLLING" : "LINEAR"}',
        "bake_time_in_minutes": '${var.hold ? null : "10"}',
        "dynamic": {
            "linear_configuration": {
                "for_each": "${var.hold ? [] : [1]}",
                "content": {"step_percent": 20, "step_bake_time_in_minutes": "3"},
            }
        },
    }
    assert ecs["load_balancer"][0]["advanced_configuration"]["alternate_target_group_arn"] == "arn:tg-alt"  # in place, held or not


def test_a_test_rule_is_handed_to_ecs_and_the_role() -> None:
    document = service(traffic_shift=TrafficShift(strategy="CANARY", test_rule_arn="arn:test-rule", **SHIFT))
    [ecs] = resources(document, EcsService.TF_RESOURCE_TYPE).values()
    assert ecs["load_balancer"][0]["advanced_configuration"]["test_listener_rule"] == "arn:test-rule"
    [rules] = [s for p in data_sources(document, "aws_iam_policy_document").values() for s in p["statement"] if s.get("sid") == "Rules"]
    assert rules["resources"] == ["arn:rule", "arn:test-rule"]


def test_the_traffic_shift_role_has_the_managed_policys_actions_on_our_resources_only() -> None:
    """AWS's AmazonECSInfrastructureRolePolicyForLoadBalancers, v6 of 2026-02-12 (its actions: Describe* on "*",
    Register/DeregisterTargets on target groups, ModifyListener on listeners, ModifyRule on listener rules), here on
    this service's two groups, its rule and its listener; the trust: ecs.amazonaws.com, no condition."""
    document = service(traffic_shift=TrafficShift(strategy="CANARY", **SHIFT))
    policies = data_sources(document, "aws_iam_policy_document")
    [statements] = [p["statement"] for p in policies.values() if any(s.get("sid") == "Rules" for s in p.get("statement", []))]
    assert statements == [
        {
            "sid": "Describe",
            "actions": [
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            "resources": ["*"],
        },
        {
            "sid": "Targets",
            "actions": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "resources": ["arn:tg", "arn:tg-alt"],
        },
        {"sid": "Rules", "actions": ["elasticloadbalancing:ModifyRule"], "resources": ["arn:rule"]},
        {"sid": "Listeners", "actions": ["elasticloadbalancing:ModifyListener"], "resources": ["arn:listener"]},
    ]
    trusts = {name: p["statement"] for name, p in policies.items() if name.startswith("service_traffic_shift_trust")}
    assert list(trusts.values()) == [
        [{"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": ["ecs.amazonaws.com"]}]}]
    ]
    assert [p["name"] for n, p in resources(document, "aws_iam_role_policy").items() if n.startswith("service_traffic_shift")] == [
        "shift-traffic"
    ]


def test_rolling_by_default() -> None:
    [ecs] = resources(service(), EcsService.TF_RESOURCE_TYPE).values()
    assert ecs["deployment_configuration"] == {"strategy": "ROLLING"}
    assert "advanced_configuration" not in ecs["load_balancer"][0]


def test_a_secret_key_is_decrypted_only_through_secrets_manager_of_the_task_region() -> None:
    """The Region of the kms:ViaService condition is the container's (eu-west-1 here), not a default."""
    key = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
    document = service(task=task_props(secret_arns=[secret], secret_kms_key_arns=[key]))
    statements = [
        s for d in data_sources(document, "aws_iam_policy_document").values() for s in d["statement"] if s.get("sid") == "SecretsKey"
    ]
    assert statements == [
        {
            "sid": "SecretsKey",
            "actions": ["kms:Decrypt"],
            "resources": [key],
            "condition": [{"test": "StringEquals", "variable": "kms:ViaService", "values": ["secretsmanager.eu-west-1.amazonaws.com"]}],
        }
    ]
