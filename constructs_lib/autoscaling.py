"""ServiceAutoscaling: the service's task count between min and max, tracking average CPU and memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import Fn, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class ServiceAutoscalingProps:
    cluster_name: str
    service_name: str
    min_capacity: int
    max_capacity: int
    cpu_target_percent: int = 70
    """Default: 70% average CPU."""
    memory_target_percent: int = 80
    """Default: 80% average memory."""
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60
    hold_empty: str | None = None
    """A Terraform boolean expression; while true the minimum is 0 (the first deploy's bootstrap, before the
    migrations). When it turns false, Application Auto Scaling raises the service to min_capacity. Default: never."""
    replace_triggered_by: Sequence[str] = ()
    """Terraform addresses (resource attributes) whose change replaces the scalable target and both policies: the
    service's id. ECS deletes a service's scalable target and policies with the service, while Terraform keeps them in
    its state; without this a replaced service runs at desired_count with no scaling, and the apply succeeds
    (hashicorp/terraform-provider-aws#14254, #10432). Default: none."""


class ServiceAutoscaling(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: ServiceAutoscalingProps) -> None:
        super().__init__(scope, id_)
        if not 1 <= props.min_capacity <= props.max_capacity:
            raise ValueError(f"expected 1 <= min_capacity <= max_capacity, got {props.min_capacity} and {props.max_capacity}")
        # Addresses, not references: Terraform reads replace_triggered_by as a reference ("${...}" is refused).
        lifecycle = (
            TerraformResourceLifecycle(replace_triggered_by=list(props.replace_triggered_by)) if props.replace_triggered_by else None
        )
        target = AppautoscalingTarget(
            self,
            "target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{props.cluster_name}/{props.service_name}",
            min_capacity=Token.as_number(Fn.conditional(props.hold_empty, 0, props.min_capacity))
            if props.hold_empty
            else props.min_capacity,
            max_capacity=props.max_capacity,
            lifecycle=lifecycle,
        )
        for metric_id, metric, target_value in (
            ("cpu", "ECSServiceAverageCPUUtilization", props.cpu_target_percent),
            ("memory", "ECSServiceAverageMemoryUtilization", props.memory_target_percent),
        ):
            AppautoscalingPolicy(
                self,
                metric_id,
                name=f"{props.service_name}-{metric_id}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=target_value,
                    predefined_metric_specification=AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                        predefined_metric_type=metric
                    ),
                    scale_in_cooldown=props.scale_in_cooldown_seconds,
                    scale_out_cooldown=props.scale_out_cooldown_seconds,
                ),
                lifecycle=lifecycle,
            )
