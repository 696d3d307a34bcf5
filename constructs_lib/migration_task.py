"""MigrationTask: a one-off task that runs the database migrations with the service's image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import Fn
from constructs import Construct

from constructs_lib.ecs_task import EcsTask, EcsTaskProps


@dataclass(frozen=True, kw_only=True)
class MigrationTaskProps:
    task: EcsTaskProps
    """The task definition; its container runs the migration command and exits."""
    cluster_name: str
    subnet_ids: Sequence[str]
    """Private subnets the task runs in."""


class MigrationTask(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: MigrationTaskProps) -> None:
        super().__init__(scope, id_)
        self.task = EcsTask(self, "task", props=props.task)
        self.security_group_id: str = self.task.security_group_id
        self.task_definition_arn: str = self.task.arn
        self.log_group_name: str = self.task.log_group_name
        subnets = Fn.join(",", list(props.subnet_ids))
        # On-demand Fargate even where the service uses Spot: a Spot interruption would stop a migration halfway, and
        # a few minutes of one task cost cents. Named by the capacity provider, as the service names it (and
        # release/migrate.py's RunTask). (Fargate Spot: docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html)
        self.run_task_command: str = (
            f"aws ecs run-task --cluster {props.cluster_name} --task-definition {self.task.arn} "
            "--capacity-provider-strategy capacityProvider=FARGATE,weight=1 "
            f'--network-configuration "awsvpcConfiguration={{subnets=[{subnets}],'
            f'securityGroups=[{self.task.security_group_id}],assignPublicIp=DISABLED}}"'
        )
        """The complete `aws ecs run-task` command, with the cluster, task definition, subnets and security group filled in."""
