"""FargateService: the cluster and the wallet service behind the load balancer, rolling back failed deployments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cdktf import Fn, ITerraformDependable, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import EcsClusterCapacityProviders
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceAlarms,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceDeploymentConfiguration,
    EcsServiceDeploymentConfigurationCanaryConfiguration,
    EcsServiceDeploymentConfigurationLinearConfiguration,
    EcsServiceLoadBalancer,
    EcsServiceLoadBalancerAdvancedConfiguration,
    EcsServiceNetworkConfiguration,
    EcsServiceTimeouts,
)
from constructs import Construct

from constructs_lib import firewall
from constructs_lib.ecs_task import EcsTask, EcsTaskProps
from constructs_lib.firewall import Peer
from constructs_lib.traffic_shift_role import TrafficShiftRole, TrafficShiftRoleProps


@dataclass(frozen=True, kw_only=True)
class SpotCapacity:
    """How the service's tasks split between on-demand Fargate and Fargate Spot: always a capacity provider strategy,
    never a launch type, so that every change of the split is an in-place UpdateService (see FargateService)."""

    percent: int = 0
    """Share (0-100) of the tasks above ``on_demand_base`` that run on Fargate Spot. Default: 0, on-demand only."""
    on_demand_base: int = 0
    """Tasks that always run on on-demand Fargate, placed first; with ``percent`` 0 every task is on-demand and it is
    left out. Default: none."""

    def strategy(self) -> list[EcsServiceCapacityProviderStrategy]:
        """The capacity provider strategy: weights are the percentages; a provider with neither weight nor base is left
        out (percent 0: FARGATE alone, weight 100)."""
        if not self.percent:
            return [EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE", weight=100)]
        on_demand = EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE", base=self.on_demand_base, weight=100 - self.percent)
        spot = EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=self.percent)
        return [on_demand, spot] if self.on_demand_base or self.percent < 100 else [spot]


ShiftStrategy = Literal["CANARY", "LINEAR", "BLUE_GREEN"]


@dataclass(frozen=True, kw_only=True)
class TrafficShift:
    """An ECS-native canary, linear or blue/green deployment (docs.aws.amazon.com/AmazonECS/latest/developerguide/
    canary-deployment.html): the new revision starts behind the target group that is not serving, and ECS moves the
    production listener rule's traffic to it, step by step, through a role this construct creates."""

    strategy: ShiftStrategy
    alternate_target_group_arn: str
    production_rule_arn: str
    listener_arns: Sequence[str]
    """The listeners of the production (and test) rule."""
    test_rule_arn: str | None = None
    """A rule that gets the new revision first, for test traffic. Default: none."""
    bake_minutes: int = 10
    """Minutes the old revision stays ready after all traffic moved."""
    canary_percent: float = 10
    canary_bake_minutes: int = 5
    linear_step_percent: float = 10
    linear_step_bake_minutes: int = 6
    group_arns: Sequence[str] = ()
    """Both target groups as created, for the role (which of them serves changes with every deployment; the role's
    permissions do not). Default: the service's target group and the alternate one as given."""

    hold_rolling: str | None = None
    """A Terraform boolean expression; while true the service keeps the rolling strategy, with everything else of the
    traffic shift in place (the first apply of a switch from rolling: AWS wants the load balancer's advanced
    configuration before the strategy, docs.aws.amazon.com/AmazonECS/latest/developerguide/
    update-rolling-to-bluegreen.html). Default: never held."""

    def configuration(self) -> EcsServiceDeploymentConfiguration:
        """The deployment configuration; with hold_rolling, its strategy, bake time and the strategy's own block
        follow the expression (the block through a dynamic block, present only when not held)."""
        held = self.hold_rolling
        return EcsServiceDeploymentConfiguration(
            strategy=f'${{{held} ? "ROLLING" : "{self.strategy}"}}' if held else self.strategy,
            bake_time_in_minutes=f'${{{held} ? null : "{self.bake_minutes}"}}' if held else str(self.bake_minutes),
            canary_configuration=EcsServiceDeploymentConfigurationCanaryConfiguration(**self._strategy_block("CANARY"))
            if self.strategy == "CANARY" and not held
            else None,
            linear_configuration=EcsServiceDeploymentConfigurationLinearConfiguration(**self._strategy_block("LINEAR"))
            if self.strategy == "LINEAR" and not held
            else None,
        )

    def _strategy_block(self, strategy: str) -> dict[str, Any]:
        if strategy == "CANARY":
            return {"canary_percent": self.canary_percent, "canary_bake_time_in_minutes": str(self.canary_bake_minutes)}
        return {"step_percent": self.linear_step_percent, "step_bake_time_in_minutes": str(self.linear_step_bake_minutes)}

    def held_blocks(self) -> dict[str, Any]:
        """With hold_rolling: the canary or linear block as a dynamic block of deployment_configuration (an override)."""
        if not self.hold_rolling or self.strategy == "BLUE_GREEN":
            return {}
        name = f"{self.strategy.lower()}_configuration"
        return {name: {"for_each": f"${{{self.hold_rolling} ? [] : [1]}}", "content": self._strategy_block(self.strategy)}}


@dataclass(frozen=True, kw_only=True)
class FargateServiceProps:
    cluster_name: str
    service_name: str
    task: EcsTaskProps
    """The task definition; its container must have a port."""
    subnet_ids: Sequence[str]
    """Private subnets: the tasks get no public IP."""
    desired_count: int
    """Tasks at creation; afterwards auto scaling owns the count (Terraform ignores its changes)."""
    target_group_arn: str
    listeners: Sequence[ITerraformDependable]
    """The load balancer's listeners: the service is created after them (ECS needs the target group attached)."""
    health_check_grace_seconds: int = 60
    """Seconds ECS ignores load balancer health checks after a task starts. Default: 60."""
    enable_execute_command: bool = False
    """ECS Exec. Default: off."""
    deployment_alarm_names: Sequence[str] = ()
    """CloudWatch alarms that roll a deployment back when they fire. Default: none (the circuit breaker only)."""
    spot: SpotCapacity = SpotCapacity()
    """Run some or all tasks on Fargate Spot. Default: on-demand only (the strategy FARGATE alone)."""
    traffic_shift: TrafficShift | None = None
    """Release by shifting traffic between two target groups. Default: a rolling deployment behind the one."""
    deployment_timeout_minutes: int = 20
    """How long Terraform waits for a deployment (create and update) to succeed: wait_for_steady_state waits for ECS's
    deployment, traffic shift and bake time included. Default: 20, the provider's own."""
    start_empty: str | None = None
    """A Terraform boolean expression; when true at creation, the service starts with no task (the first deploy's
    bootstrap: the schema does not exist before the migrations). Default: desired_count."""


class FargateService(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: FargateServiceProps) -> None:
        super().__init__(scope, id_)
        port = props.task.container.port
        if port is None:
            raise ValueError("FargateService needs a container port")
        cluster = EcsCluster(
            self, "cluster", name=props.cluster_name, setting=[EcsClusterSetting(name="containerInsights", value="enabled")]
        )
        # Both Fargate providers on every cluster: a strategy may only name providers of its cluster, and a one-off
        # task (the migrations) can pick either. docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
        providers = EcsClusterCapacityProviders(
            self, "capacity_providers", cluster_name=cluster.name, capacity_providers=["FARGATE", "FARGATE_SPOT"]
        )
        self.task = EcsTask(self, "task", props=props.task)
        shift = props.traffic_shift
        # The task definition's own dependencies (a pull-through cache rule) also before the service that runs it.
        advanced, depends_on, ignored = None, [*props.listeners, providers, *props.task.depends_on], ["desired_count"]
        if shift is not None:
            role = TrafficShiftRole(
                self,
                "traffic_shift",
                props=TrafficShiftRoleProps(
                    name=f"{props.service_name}-traffic-shift",
                    target_group_arns=list(shift.group_arns) or [props.target_group_arn, shift.alternate_target_group_arn],
                    listener_arns=shift.listener_arns,
                    rule_arns=[shift.production_rule_arn, *([shift.test_rule_arn] if shift.test_rule_arn else [])],
                ),
            )
            advanced = EcsServiceLoadBalancerAdvancedConfiguration(
                alternate_target_group_arn=shift.alternate_target_group_arn,
                production_listener_rule=shift.production_rule_arn,
                test_listener_rule=shift.test_rule_arn,
                role_arn=role.arn,
            )
            depends_on.append(role.policy)  # ECS uses the role as soon as the service exists
            # The load balancer block is not ignored: ECS shifts traffic by rewriting the production (and test) rule's
            # forward weights (ignored on the rule), and registers each revision in the target group not serving
            # (docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html); the service's
            # block keeps what it was given, so our changes to it (port, rules, role) must reach ECS.
        service = EcsService(
            self,
            "service",
            name=props.service_name,
            cluster=cluster.arn,
            task_definition=self.task.arn,
            desired_count=Token.as_number(Fn.conditional(props.start_empty, 0, props.desired_count))
            if props.start_empty
            else props.desired_count,
            # Always a strategy, never launch_type: launch_type is ForceNew (a fixed name: the old service is deleted
            # first, minutes without tasks), and a change of the strategy needs force_new_deployment, without which
            # provider 6.15+ fails the plan and older ones replace the service; with it, both update the service in
            # place (UpdateService) as long as it has a strategy before and after (terraform-provider-aws
            # internal/service/ecs/service.go, capacityProviderStrategyCustomizeDiff, 5.100.0 and 6.25.0; PR #43533).
            # A service deployed with the launch type is refused by scripts/terraform.sh (release/deployment.py,
            # launch_type_form) until moved as docs/runbook.md#4-moving-a-service-off-the-launch-type says.
            capacity_provider_strategy=props.spot.strategy(),
            force_new_deployment=True,
            platform_version="LATEST",
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=list(props.subnet_ids), security_groups=[self.task.security_group_id], assign_public_ip=False
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=props.target_group_arn,
                    container_name=self.task.container_name,
                    container_port=port,
                    advanced_configuration=advanced,
                )
            ],
            deployment_configuration=shift.configuration() if shift else EcsServiceDeploymentConfiguration(strategy="ROLLING"),
            health_check_grace_period_seconds=props.health_check_grace_seconds,
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            alarms=EcsServiceAlarms(alarm_names=list(props.deployment_alarm_names), enable=True, rollback=True)
            if props.deployment_alarm_names
            else None,
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            enable_execute_command=props.enable_execute_command,
            # `cdktf deploy` returns when the new tasks are healthy, and fails if the circuit breaker rolled back.
            wait_for_steady_state=True,
            timeouts=EcsServiceTimeouts(create=f"{props.deployment_timeout_minutes}m", update=f"{props.deployment_timeout_minutes}m"),
            depends_on=depends_on,
            lifecycle=TerraformResourceLifecycle(ignore_changes=ignored),
        )
        for name, block in (shift.held_blocks() if shift else {}).items():
            service.add_override(f"deployment_configuration.dynamic.{name}", block)
        self._service = service
        self.port = port
        self.cluster_name: str = cluster.name
        self.cluster_arn: str = cluster.arn
        self.service_name: str = service.name
        self.service_arn: str = service.id
        self.replacement_trigger: str = f"{service.terraform_resource_type}.{service.friendly_unique_id}.id"
        """The service's id as a replace_triggered_by address: it changes only when the service is replaced (it is
        unknown until the new one exists), not on the in-place updates of every release."""
        self.security_group_id: str = self.task.security_group_id

    def allow_from(self, id_: str, *, security_group_id: str, description: str, egress: firewall.Rule | None = None) -> None:
        """Admit traffic to the container port from ``security_group_id`` (the load balancer), whose ``egress`` rule to
        the tasks is given. When the port changes, the new rules come first and the old ones go only after the service
        has moved its tasks to the new port (Terraform applies the service, which depends on both rules, before it
        destroys the replaced rules), so the tasks still on the old port stay reachable while it rolls."""
        rule = self.task.allow_from(id_, peer=Peer(security_group_id=security_group_id), port=self.port, description=description,
                                    overlap=True)  # fmt: skip
        # After construction the service takes dependencies as addresses (the constructor's dependables render so).
        addresses = [f"{r.terraform_resource_type}.{r.friendly_unique_id}" for r in (rule, egress) if r is not None]
        self._service.depends_on = [*(self._service.depends_on or []), *addresses]
