"""What the service and the migration task share: their task settings, and their network paths."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import ITerraformDependable, Token

from constructs_lib.container import ContainerProps, SidecarProps, secret_reference
from constructs_lib.database import POSTGRES_PORT, Database
from constructs_lib.ecs_task import EcrImage, EcsTask, EcsTaskProps, ImageRef
from constructs_lib.firewall import Peer
from constructs_lib.network import Network
from constructs_lib.vpc_endpoints import HTTPS, VpcEndpoints
from stacks.config import EnvironmentConfig
from stacks.sidecar import APP_CONTAINER, IMAGE, PULL_THROUGH_PREFIX, Sidecar

SERVICE = APP_CONTAINER
"""The service's name, and its container's."""


def pull_through_prefix(environment: str) -> str:
    """The repository prefix of the environment's pull-through cache rule (2-30 characters; one rule per prefix in a
    registry, so one per environment): a sidecar's 'ecr-public/<repository>' is '<prefix>/<repository>' there."""
    return f"{PULL_THROUGH_PREFIX}-{environment}"


def service_log_group(environment: str) -> str:
    return f"/aws/ecs/{SERVICE}/{environment}"


def migration_log_group(environment: str) -> str:
    return f"/aws/ecs/WalletMigrations/{environment}"


@dataclass(frozen=True, kw_only=True)
class TaskContext:
    config: EnvironmentConfig
    account_id: str
    image: EcrImage
    network: Network
    database: Database
    logs_key_arn: str
    database_key_arn: str
    """The key of the master secret (the migration task's execution role decrypts it through Secrets Manager)."""
    pull_through_cache: ITerraformDependable | None = None
    """The environment's pull-through cache rule, when a sidecar's image comes through it: the task definition that
    pulls through it (and so the service) is created after it and destroyed before it. Default: none."""

    def task_props(
        self,
        family: str,
        log_group_name: str,
        *,
        port: int | None = None,
        command: tuple[str, ...] | None = None,
        ecs_exec: bool = False,
        image: ImageRef | None = None,
        master: bool = False,
        sidecars: bool = False,
    ) -> EcsTaskProps:
        """The same database endpoint for both, and the same image unless ``image`` is given; each its own family, log
        group and roles. The service (``master`` False) connects as db_app_user with IAM tokens and never gets the
        master secret; the migrations (``master`` True) get the master user's name and password, to run DDL."""
        config, database = self.config, self.database
        image = image or self.image.ref
        user_arn = database.user_arn(partition=config.partition, region=config.region, account_id=self.account_id, user=config.db_app_user)
        credentials = (
            {
                "DB_USERNAME": secret_reference(database.secret_arn, "username"),
                "DB_PASSWORD": secret_reference(database.secret_arn, "password"),
            }
            if master
            else {}
        )
        return EcsTaskProps(
            family=family,
            container=ContainerProps(
                name=SERVICE,
                image=image.reference,
                log_group_name=log_group_name,
                region=config.region,
                environment={
                    "DB_HOST": database.address,
                    "DB_PORT": Token.as_string(database.port),
                    "DB_NAME": database.db_name,
                    # TLS that checks the server's certificate and name against the RDS CA bundle (docs/database.md#the-server-certificate).
                    "DB_SSLMODE": "verify-full",
                    "ENVIRONMENT": config.environment,
                    **({} if master else {"DB_USER": config.db_app_user, "DB_IAM_AUTH": "true"}),
                },
                secrets=credentials,
                port=port,
                command=command,
                ecs_exec=ecs_exec,
                # A container health check for the service (it has a port to check), not for the migration task.
                health_check=config.app_health_check_command if port is not None else (),
            ),
            cpu=config.task_cpu,
            memory=config.task_memory,
            cpu_architecture=config.cpu_architecture,
            account_id=self.account_id,
            vpc_id=self.network.vpc_id,
            ecr_repository_arn=image.repository_arn,
            log_retention_days=config.log_retention_days,
            secret_arns=[database.secret_arn] if master else [],
            secret_kms_key_arns=[self.database_key_arn] if master else [],
            database_user_arns=[] if master else [user_arn],
            ecs_exec=ecs_exec,
            log_kms_key_arn=self.logs_key_arn,
            sidecars=[self._sidecar(sidecar) for sidecar in config.sidecars] if sidecars else [],
            sidecar_actions=[action for sidecar in config.sidecars for action in sidecar.iam_actions] if sidecars else [],
            pull_through_repository_arns=[
                f"arn:{config.partition}:ecr:{config.region}:{self.account_id}:repository/{pull_through_prefix(config.environment)}/*"
            ]
            if sidecars and any(sidecar.pulled_through_cache for sidecar in config.sidecars)
            else [],
            depends_on=[self.pull_through_cache] if sidecars and self.pull_through_cache is not None else [],
        )

    def _sidecar(self, sidecar: Sidecar) -> SidecarProps:
        """The project's repository: the tag resolved to its digest at plan time, as the service's image. ECR Public:
        the image in the environment's pull-through cache of the private registry."""
        if sidecar.pulled_through_cache:
            path = sidecar.image.removeprefix(PULL_THROUGH_PREFIX + "/")
            reference = (
                f"{self.account_id}.dkr.ecr.{self.config.region}.amazonaws.com/{pull_through_prefix(self.config.environment)}/{path}"
            )
        else:
            match = IMAGE.fullmatch(sidecar.image)
            assert match is not None and match.group("tag")  # stacks/sidecar.py check_sidecars
            reference = self.image.tagged(f"sidecar_{sidecar.name.replace('-', '_')}", match.group("tag")).reference
        return SidecarProps(
            name=sidecar.name,
            image=reference,
            cpu=sidecar.cpu,
            memory=sidecar.memory,
            essential=sidecar.essential,
            command=sidecar.command,
            ports=sidecar.ports,
            depends_on=sidecar.depends_on,
            health_check=sidecar.health_check,
            environment=sidecar.environment,
        )


def connect(task_id: str, task: EcsTask, *, database: Database, endpoints: VpcEndpoints | None) -> None:
    """A task's network paths: PostgreSQL to the database, HTTPS to AWS (endpoints, or NAT when there are none)."""
    database.allow_from(task_id, security_group_id=task.security_group_id, description=f"PostgreSQL from the {task_id} tasks")
    task.allow_to("database", peer=Peer(security_group_id=database.security_group_id), port=POSTGRES_PORT, description="PostgreSQL")
    if endpoints is None:
        task.allow_to("aws_apis", peer=Peer(cidr="0.0.0.0/0"), port=HTTPS, description="AWS APIs through the VPC's NAT gateway")
        return
    endpoints.allow_from(task_id, security_group_id=task.security_group_id, description=f"HTTPS from the {task_id} tasks")
    task.allow_to("endpoints", peer=Peer(security_group_id=endpoints.security_group_id), port=HTTPS, description="AWS APIs via endpoints")
    task.allow_to("s3", peer=Peer(prefix_list_id=endpoints.s3_prefix_list_id), port=HTTPS, description="ECR image layers via S3 endpoint")
