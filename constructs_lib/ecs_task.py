"""EcsTask: what the service and the migration task share: log group, roles, security group, Fargate task definition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_ecr_image import DataAwsEcrImage
from cdktf_cdktf_provider_aws.data_aws_ecr_repository import DataAwsEcrRepository
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition, EcsTaskDefinitionRuntimePlatform, EcsTaskDefinitionVolume
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from constructs_lib import firewall
from constructs_lib.container import ContainerProps, SidecarProps, container_definitions, sidecar_volume, volumes
from constructs_lib.firewall import Peer
from constructs_lib.task_iam import TaskIam, TaskIamProps


@dataclass(frozen=True)
class ImageRef:
    reference: str
    """<repository URL>@<digest>"""
    repository_arn: str


class EcrImage(Construct):
    """An image tag resolved to its digest at plan time: the task runs exactly that image, and a missing tag fails the
    plan. ``tagged`` resolves more tags of the same repository."""

    def __init__(self, scope: Construct, id_: str, *, repository_name: str, tag: str) -> None:
        super().__init__(scope, id_)
        self._repository = DataAwsEcrRepository(self, "repository", name=repository_name)
        self.ref = self.tagged("tagged", tag)

    def tagged(self, id_: str, tag: str) -> ImageRef:
        image = DataAwsEcrImage(self, id_, repository_name=self._repository.name, image_tag=tag)
        return ImageRef(reference=f"{self._repository.repository_url}@{image.image_digest}", repository_arn=self._repository.arn)


@dataclass(frozen=True, kw_only=True)
class EcsTaskProps:
    family: str
    """Task definition family; also names the roles (<family>-execution, <family>-task) and the security group."""
    container: ContainerProps
    """The one container; its log_group_name is created here."""
    cpu: int
    memory: int
    account_id: str
    vpc_id: str
    ecr_repository_arn: str
    log_retention_days: int
    secret_arns: Sequence[str] = ()
    """Secrets the container's ``secrets`` refer to. Default: none."""
    ecs_exec: bool = False
    """Allow ECS Exec sessions (task role permission). Default: off."""
    log_kms_key_arn: str | None = None
    """KMS key encrypting the log group. Default: CloudWatch Logs' own encryption."""
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """The architecture the image is built for. Default: X86_64."""
    secret_kms_key_arns: Sequence[str] = ()
    """Customer-managed keys of ``secret_arns``. Default: none."""
    database_user_arns: Sequence[str] = ()
    """Database users the code may connect as with IAM tokens. Default: none."""
    sidecars: Sequence[SidecarProps] = ()
    """Containers beside ``container``, logging into its log group. Default: none."""
    sidecar_actions: Sequence[str] = ()
    """IAM actions the sidecars need, allowed to the task role on any resource. Default: none."""
    pull_through_repository_arns: Sequence[str] = ()
    """Repositories (ARN patterns) of a pull-through cache that images come from: the execution role may pull them, and
    import the image and create the repository on a first pull. Default: none."""
    depends_on: Sequence[ITerraformDependable] = ()
    """What must exist before the task definition (and the service running it) does: the pull-through cache rule its
    images come through (ECS pulls as soon as a task starts; without the rule the first pull fails with
    RepositoryNotFound). Default: nothing beyond the references."""


class EcsTask(Construct):
    """A Fargate task definition with its own log group, execution and task roles, and security group (no rules until granted)."""

    def __init__(self, scope: Construct, id_: str, *, props: EcsTaskProps) -> None:
        super().__init__(scope, id_)
        log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=props.container.log_group_name,
            retention_in_days=props.log_retention_days,
            kms_key_id=props.log_kms_key_arn,
        )
        iam = TaskIam(
            self,
            "iam",
            props=TaskIamProps(
                name=props.family,
                account_id=props.account_id,
                ecr_repository_arn=props.ecr_repository_arn,
                log_group_arn=log_group.arn,
                secret_arns=props.secret_arns,
                ecs_exec=props.ecs_exec,
                secret_kms_key_arns=props.secret_kms_key_arns,
                database_user_arns=props.database_user_arns,
                region=props.container.region,
                task_actions=props.sidecar_actions,
                pull_through_repository_arns=props.pull_through_repository_arns,
            ),
        )
        self._security_group = SecurityGroup(
            self, "security_group", name=props.family, description=f"Tasks of {props.family}", vpc_id=props.vpc_id
        )
        definition = EcsTaskDefinition(
            self,
            "definition",
            family=props.family,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(props.cpu),
            memory=str(props.memory),
            execution_role_arn=iam.execution_role_arn,
            task_role_arn=iam.task_role_arn,
            runtime_platform=EcsTaskDefinitionRuntimePlatform(operating_system_family="LINUX", cpu_architecture=props.cpu_architecture),
            volume=[
                EcsTaskDefinitionVolume(name=name)
                for name in [*volumes(props.container), *(sidecar_volume(sidecar) for sidecar in props.sidecars)]
            ],
            container_definitions=container_definitions(props.container, props.sidecars),
            depends_on=list(props.depends_on) or None,
        )
        self.family: str = definition.family
        self.arn: str = definition.arn
        self.log_group_name: str = log_group.name
        self.security_group_id: str = self._security_group.id
        self.container_name: str = props.container.name

    def allow_from(self, id_: str, *, peer: Peer, port: int, description: str, overlap: bool = False) -> firewall.Rule:
        """Admit ``port`` from ``peer``; ``overlap``: see firewall.egress."""
        return firewall.ingress(
            self,
            f"ingress_{id_}",
            security_group_id=self._security_group.id,
            peer=peer,
            port=port,
            description=description,
            overlap=overlap,
        )

    def allow_to(self, id_: str, *, peer: Peer, port: int, description: str) -> None:
        firewall.egress(self, f"egress_{id_}", security_group_id=self._security_group.id, peer=peer, port=port, description=description)
