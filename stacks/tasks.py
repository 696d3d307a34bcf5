"""What the service and the migration task share: their task settings, and their network paths."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Token

from constructs_lib.container import ContainerProps, secret_reference
from constructs_lib.database import POSTGRES_PORT, Database
from constructs_lib.ecs_task import EcrImage, EcsTask, EcsTaskProps, ImageRef
from constructs_lib.firewall import Peer
from constructs_lib.network import Network
from constructs_lib.vpc_endpoints import HTTPS, VpcEndpoints
from stacks.config import EnvironmentConfig

SERVICE = "wallet-service"


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

    def task_props(
        self,
        family: str,
        log_group_name: str,
        *,
        port: int | None = None,
        command: tuple[str, ...] | None = None,
        ecs_exec: bool = False,
        image: ImageRef | None = None,
    ) -> EcsTaskProps:
        """Same database settings for both, and the same image unless ``image`` is given; each its own family, log
        group and roles."""
        config, database = self.config, self.database
        image = image or self.image.ref
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
                    "ENVIRONMENT": config.environment,
                },
                secrets={
                    "DB_USERNAME": secret_reference(database.secret_arn, "username"),
                    "DB_PASSWORD": secret_reference(database.secret_arn, "password"),
                },
                port=port,
                command=command,
            ),
            cpu=config.task_cpu,
            memory=config.task_memory,
            cpu_architecture=config.cpu_architecture,
            account_id=self.account_id,
            vpc_id=self.network.vpc_id,
            ecr_repository_arn=image.repository_arn,
            log_retention_days=config.log_retention_days,
            secret_arns=[database.secret_arn],
            ecs_exec=ecs_exec,
            log_kms_key_arn=self.logs_key_arn,
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
