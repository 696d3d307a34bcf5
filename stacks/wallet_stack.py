"""WalletStack: one environment of the wallet service. Provider, backend, variables, constructs, outputs."""

from __future__ import annotations

import dataclasses

from cdktf import Fn, S3Backend, TerraformOutput, TerraformVariable, Token
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from constructs_lib.alarms import DEPLOYMENT_ALARMS, Alarms, AlarmsProps, AlarmThresholds, alarm_name
from constructs_lib.autoscaling import ServiceAutoscaling, ServiceAutoscalingProps
from constructs_lib.container import ContainerProps, secret_reference
from constructs_lib.dashboard import Dashboard, DashboardProps
from constructs_lib.database import POSTGRES_PORT, Database, DatabaseProps
from constructs_lib.ecs_task import EcrImage, EcsTask, EcsTaskProps
from constructs_lib.encryption_key import EncryptionKey, EncryptionKeyProps, log_groups_grant
from constructs_lib.fargate_service import FargateService, FargateServiceProps
from constructs_lib.firewall import Peer
from constructs_lib.load_balancer import LoadBalancer, LoadBalancerProps
from constructs_lib.migration_task import MigrationTask, MigrationTaskProps
from constructs_lib.network import Network, NetworkProps, SubnetSelection
from constructs_lib.vpc_endpoints import HTTPS, VpcEndpoints, VpcEndpointsProps
from stacks.base import AddressedStack
from stacks.config import IMAGE_TAG, EnvironmentConfig

SERVICE = "wallet-service"


def state_key(environment: str) -> str:
    return f"wallet-service/{environment}/terraform.tfstate"


class WalletStack(AddressedStack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        self.config = config
        env = config.environment
        name = f"{SERVICE}-{env}"
        AwsProvider(
            self,
            "aws",
            region=config.region,
            allowed_account_ids=list(config.allowed_account_ids) or None,
            default_tags=[AwsProviderDefaultTags(tags=config.tags)],
        )
        S3Backend(self, bucket=config.state_bucket, key=state_key(env), region=config.state_region, encrypt=True)
        # cdktf 0.21's S3Backend has no use_lockfile: native S3 locking, no DynamoDB table needed.
        self.add_override("terraform.backend.s3.use_lockfile", True)

        image_tag = TerraformVariable(
            self,
            "image_tag",
            type="string",
            nullable=False,
            default=config.image_tag,
            description="Tag of the wallet-service image in ECR to deploy, e.g. v1.2.3",
        )
        image_tag.add_validation(
            condition=Fn.can(Fn.regex(IMAGE_TAG, image_tag.string_value)),
            error_message="image_tag must be a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -.",
        )
        self.account_id: str = DataAwsCallerIdentity(self, "account").account_id
        self.image = EcrImage(self, "image", repository_name=config.ecr_repository, tag=image_tag.string_value)

        network = Network(
            self,
            "network",
            props=NetworkProps(
                vpc_id=config.vpc_id,
                vpc_tags={"Name": f"wallet-{env}"},
                private_subnets=SubnetSelection(ids=config.private_subnet_ids, tags=config.private_subnet_tags),
                public_subnets=SubnetSelection(ids=config.public_subnet_ids, tags=config.public_subnet_tags),
            ),
        )
        self.network = network
        self.logs_key = EncryptionKey(
            self,
            "logs_key",
            props=EncryptionKeyProps(
                alias=f"{name}-logs",
                description=f"Encrypts the {name} log groups",
                account_id=self.account_id,
                partition=config.partition,
                grants=[
                    log_groups_grant(
                        region=config.region,
                        account_id=self.account_id,
                        partition=config.partition,
                        log_groups=[f"/aws/ecs/{SERVICE}/{env}", f"/aws/ecs/WalletMigrations/{env}", f"/aws/rds/instance/{name}/*"],
                    )
                ],
            ),
        )
        self.database = Database(
            self,
            "database",
            props=DatabaseProps(
                identifier=name,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                instance_class=config.db_instance_class,
                allocated_storage=config.db_allocated_storage,
                max_allocated_storage=config.db_max_allocated_storage,
                backup_retention_days=config.db_backup_retention_days,
                multi_az=config.db_multi_az,
                protected=config.db_deletion_protection,
                prevent_destroy=config.db_prevent_destroy,
                engine_major_version=config.db_engine_version,
                log_retention_days=config.log_retention_days,
                log_kms_key_arn=self.logs_key.arn,
            ),
        )
        load_balancer = LoadBalancer(
            self,
            "load_balancer",
            props=LoadBalancerProps(
                name=name,
                vpc_id=network.vpc_id,
                subnet_ids=network.public_subnet_ids,
                target_port=config.container_port,
                health_check_path=config.health_check_path,
                ingress_cidrs=config.ingress_cidrs,
                certificate_arn=config.certificate_arn,
                certificate_tags=config.certificate_tags,
                deletion_protection=config.alb_deletion_protection,
                access_logs_bucket=f"{name}-alb-logs-{self.account_id}" if config.alb_access_logs else None,
            ),
        )
        service = FargateService(
            self,
            "service",
            props=FargateServiceProps(
                cluster_name=f"{SERVICE}-cluster-{env}",
                service_name=name,
                task=self._task_props(name, f"/aws/ecs/{SERVICE}/{env}", port=config.container_port, ecs_exec=config.enable_ecs_exec),
                subnet_ids=network.private_subnet_ids,
                desired_count=config.desired_count,
                target_group_arn=load_balancer.target_group_arn,
                listeners=load_balancer.listeners,
                health_check_grace_seconds=config.health_check_grace_seconds,
                enable_execute_command=config.enable_ecs_exec,
                deployment_alarm_names=[alarm_name(name, what) for what in DEPLOYMENT_ALARMS],
            ),
        )
        ServiceAutoscaling(
            self,
            "autoscaling",
            props=ServiceAutoscalingProps(
                cluster_name=service.cluster_name,
                service_name=service.service_name,
                min_capacity=config.min_capacity,
                max_capacity=config.max_capacity,
            ),
        )
        migration = MigrationTask(
            self,
            "migration",
            props=MigrationTaskProps(
                task=self._task_props(f"{SERVICE}-migration-{env}", f"/aws/ecs/WalletMigrations/{env}", command=config.migration_command),
                cluster_name=service.cluster_name,
                subnet_ids=network.private_subnet_ids,
            ),
        )
        self.endpoints = (
            VpcEndpoints(
                self,
                "endpoints",
                props=VpcEndpointsProps(
                    name=name,
                    region=config.region,
                    vpc_id=network.vpc_id,
                    subnet_ids=network.private_subnet_ids,
                    route_table_ids=network.private_route_table_ids,
                ),
            )
            if config.vpc_endpoints
            else None
        )
        load_balancer.allow_to("service", security_group_id=service.security_group_id, description="To the service's tasks")
        service.allow_from("load_balancer", security_group_id=load_balancer.security_group_id, description="From the load balancer")
        self._connect("service", service.task)
        self._connect("migration", migration.task)

        alarms = Alarms(
            self,
            "alarms",
            props=AlarmsProps(
                prefix=name,
                region=config.region,
                partition=config.partition,
                account_id=self.account_id,
                emails=config.alarm_emails,
                cluster_name=service.cluster_name,
                service_name=service.service_name,
                service_arn=service.service_arn,
                min_running_tasks=config.min_capacity,
                db_identifier=self.database.identifier,
                load_balancer_arn_suffix=load_balancer.arn_suffix,
                target_group_arn_suffix=load_balancer.target_group_arn_suffix,
                thresholds=AlarmThresholds(**{f.name: getattr(config, f"alarm_{f.name}") for f in dataclasses.fields(AlarmThresholds)}),
            ),
        )
        dashboard = Dashboard(self, "dashboard", props=DashboardProps(name=name, region=config.region, alarms=alarms.specs))

        outputs = {
            "alarm_topic_arn": (alarms.topic_arn, "SNS topic every alarm and failed deployment notifies"),
            "dashboard_url": (dashboard.url, "CloudWatch dashboard of the service, load balancer and database"),
            "service_url": (load_balancer.url, "URL of the wallet service"),
            "alb_dns_name": (load_balancer.dns_name, "DNS name of the load balancer (point your domain's alias here)"),
            "cluster_name": (service.cluster_name, "ECS cluster"),
            "service_name": (service.service_name, "ECS service"),
            "task_definition_arn": (service.task.arn, "Task definition the service runs"),
            "migration_task_definition_arn": (migration.task_definition_arn, "Task definition of the database migrations"),
            "service_log_group": (service.task.log_group_name, "CloudWatch log group of the service"),
            "migration_log_group": (migration.log_group_name, "CloudWatch log group of the migrations"),
            "migration_command": (migration.run_task_command, "Runs the database migrations with the deployed image"),
            "vpc_id": (network.vpc_id, "VPC the service runs in"),
            "db_endpoint": (self.database.endpoint, "PostgreSQL endpoint (host:port)"),
            "db_secret_arn": (self.database.secret_arn, "ARN of the RDS-managed master secret (not its value)"),
        }
        for output_id, (value, description) in outputs.items():
            TerraformOutput(self, output_id, value=value, description=description)

    def _task_props(
        self, family: str, log_group_name: str, *, port: int | None = None, command: tuple[str, ...] | None = None, ecs_exec: bool = False
    ) -> EcsTaskProps:
        """The service and the migration task: same image, same database settings, their own log group and roles."""
        config, database = self.config, self.database
        return EcsTaskProps(
            family=family,
            container=ContainerProps(
                name=SERVICE,
                image=self.image.reference,
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
            account_id=self.account_id,
            vpc_id=self.network.vpc_id,
            ecr_repository_arn=self.image.repository_arn,
            log_retention_days=config.log_retention_days,
            secret_arns=[database.secret_arn],
            ecs_exec=ecs_exec,
            log_kms_key_arn=self.logs_key.arn,
        )

    def _connect(self, task_id: str, task: EcsTask) -> None:
        """A task's network paths: PostgreSQL to the database, HTTPS to AWS (endpoints, or NAT when there are none)."""
        self.database.allow_from(task_id, security_group_id=task.security_group_id, description=f"PostgreSQL from the {task_id} tasks")
        task.allow_to(
            "database", peer=Peer(security_group_id=self.database.security_group_id), port=POSTGRES_PORT, description="PostgreSQL"
        )
        endpoints = self.endpoints
        if endpoints is None:
            task.allow_to("aws_apis", peer=Peer(cidr="0.0.0.0/0"), port=HTTPS, description="AWS APIs through the VPC's NAT gateway")
            return
        endpoints.allow_from(task_id, security_group_id=task.security_group_id, description=f"HTTPS from the {task_id} tasks")
        task.allow_to(
            "endpoints", peer=Peer(security_group_id=endpoints.security_group_id), port=HTTPS, description="AWS APIs via endpoints"
        )
        task.allow_to(
            "s3", peer=Peer(prefix_list_id=endpoints.s3_prefix_list_id), port=HTTPS, description="ECR image layers via S3 endpoint"
        )
