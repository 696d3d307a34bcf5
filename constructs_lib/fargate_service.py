"""FargateService: the cluster and the wallet service behind the load balancer, rolling back failed deployments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceAlarms,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
)
from constructs import Construct

from constructs_lib.ecs_task import EcsTask, EcsTaskProps
from constructs_lib.firewall import Peer


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


class FargateService(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: FargateServiceProps) -> None:
        super().__init__(scope, id_)
        port = props.task.container.port
        if port is None:
            raise ValueError("FargateService needs a container port")
        cluster = EcsCluster(
            self, "cluster", name=props.cluster_name, setting=[EcsClusterSetting(name="containerInsights", value="enabled")]
        )
        self.task = EcsTask(self, "task", props=props.task)
        service = EcsService(
            self,
            "service",
            name=props.service_name,
            cluster=cluster.arn,
            task_definition=self.task.arn,
            desired_count=props.desired_count,
            launch_type="FARGATE",
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
            depends_on=list(props.listeners),
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
