"""FargateService: the cluster and the wallet service behind the load balancer, rolling back failed deployments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import EcsClusterCapacityProviders
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceAlarms,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
)
from constructs import Construct

from constructs_lib.ecs_task import EcsTask, EcsTaskProps
from constructs_lib.firewall import Peer


@dataclass(frozen=True, kw_only=True)
class SpotCapacity:
    """How the service's tasks split between on-demand Fargate and Fargate Spot."""

    percent: int
    """Share (1-100) of the tasks above ``on_demand_base`` that run on Fargate Spot."""
    on_demand_base: int = 0
    """Tasks that always run on on-demand Fargate, placed first. Default: none."""

    def strategy(self) -> list[EcsServiceCapacityProviderStrategy]:
        """The capacity provider strategy: weights are the percentages; a provider with neither weight nor base is left out."""
        on_demand = EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE", base=self.on_demand_base, weight=100 - self.percent)
        spot = EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=self.percent)
        return [on_demand, spot] if self.on_demand_base or self.percent < 100 else [spot]


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
    spot: SpotCapacity | None = None
    """Run some or all tasks on Fargate Spot. Default: on-demand only (launch type FARGATE)."""


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
        service = EcsService(
            self,
            "service",
            name=props.service_name,
            cluster=cluster.arn,
            task_definition=self.task.arn,
            desired_count=props.desired_count,
            # The provider changes a strategy in place only with force_new_deployment, and replaces the service when it
            # goes from a launch type to a strategy or back (its aws_ecs_service docs, capacity_provider_strategy).
            launch_type=None if props.spot else "FARGATE",
            capacity_provider_strategy=props.spot.strategy() if props.spot else None,
            force_new_deployment=True if props.spot else None,
            platform_version="LATEST",
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=list(props.subnet_ids), security_groups=[self.task.security_group_id], assign_public_ip=False
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=props.target_group_arn, container_name=self.task.container_name, container_port=port
                )
            ],
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
            depends_on=[*props.listeners, providers],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]),
        )
        self.port = port
        self.cluster_name: str = cluster.name
        self.cluster_arn: str = cluster.arn
        self.service_name: str = service.name
        self.service_arn: str = service.id
        self.security_group_id: str = self.task.security_group_id

    def allow_from(self, id_: str, *, security_group_id: str, description: str) -> None:
        """Admit traffic to the container port from ``security_group_id`` (the load balancer)."""
        self.task.allow_from(id_, peer=Peer(security_group_id=security_group_id), port=self.port, description=description)
