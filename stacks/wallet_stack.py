"""WalletStack: one environment of the wallet service. Provider, backend, variables, constructs, outputs."""

from __future__ import annotations

import json
from typing import cast

from cdktf import Aspects, Fn, S3Backend, S3BackendAssumeRoleConfig, TerraformOutput, TerraformVariable
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.ecr_pull_through_cache_rule import EcrPullThroughCacheRule
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags
from constructs import Construct

from constructs_lib.alarms import DEPLOYMENT_ALARMS, Alarms, AlarmsProps, alarm_name
from constructs_lib.autoscaling import ServiceAutoscaling, ServiceAutoscalingProps
from constructs_lib.dashboard import Dashboard, DashboardProps
from constructs_lib.database import Database, DatabaseProps
from constructs_lib.database_backup import DatabaseBackup, DatabaseBackupProps, RestoreTestingProps
from constructs_lib.ecs_task import EcrImage
from constructs_lib.encryption_key import EncryptionKey, EncryptionKeyProps, log_groups_grant, snapshot_copy_grants
from constructs_lib.fargate_service import FargateService, FargateServiceProps, ShiftStrategy, SpotCapacity, TrafficShift
from constructs_lib.load_balancer import LoadBalancer, LoadBalancerProps
from constructs_lib.migration_task import MigrationTask, MigrationTaskProps
from constructs_lib.network import Network, NetworkProps, SubnetSelection
from constructs_lib.permissions_boundary import PermissionsBoundary
from constructs_lib.vpc_endpoints import VpcEndpoints, VpcEndpointsProps
from constructs_lib.web_acl import WebAcl, WebAclProps
from constructs_lib.web_acl import log_group_name as waf_log_group_name
from stacks import accounts
from stacks.accounts import state_key
from stacks.base import AddressedStack
from stacks.config import EnvironmentConfig
from stacks.rules import IMAGE_TAG, IMAGE_TAG_FORM
from stacks.sidecar import UPSTREAM_REGISTRY
from stacks.tasks import SERVICE, TaskContext, connect, migration_log_group, pull_through_prefix, service_log_group


class WalletStack(AddressedStack):
    """Composition only: each tier is one method, each resource group one construct from constructs_lib."""

    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.name = f"{SERVICE}-{config.environment}"
        image_tag, migration_image_tag = self._foundation()
        self.account_id: str = DataAwsCallerIdentity(self, "account").account_id
        self.image = EcrImage(self, "image", repository_name=config.ecr_repository, tag=image_tag)
        # The migrations can move to a release's image before the service does (the release order, docs/releases.md#releasing-a-new-image).
        self.migration_image = self.image.tagged("migration_tagged", migration_image_tag)
        self.network = Network(
            self,
            "network",
            props=NetworkProps(
                vpc_id=config.vpc_id,
                vpc_tags={"Name": f"wallet-{config.environment}"},
                private_subnets=SubnetSelection(ids=config.private_subnet_ids, tags=config.private_subnet_tags),
                public_subnets=SubnetSelection(ids=config.public_subnet_ids, tags=config.public_subnet_tags),
            ),
        )
        self.logs_key = self._logs_key()
        self.database = self._database()
        load_balancer = self._load_balancer()
        self._web_acl(load_balancer)
        service, migration = self._workloads(load_balancer)
        alarms = self._alarms(service, load_balancer)
        self._backup(alarms)
        dashboard = Dashboard(self, "dashboard", props=DashboardProps(name=self.name, region=config.region, alarms=alarms.specs))
        outputs = {
            "alarm_topic_arn": (alarms.topic_arn, "SNS topic every alarm and failed deployment notifies"),
            "dashboard_url": (dashboard.url, "CloudWatch dashboard of the service, load balancer and database"),
            "service_url": (load_balancer.url, "URL of the wallet service"),
            "alb_dns_name": (load_balancer.dns_name, "DNS name of the load balancer (point your domain's alias here)"),
            "cluster_name": (service.cluster_name, "ECS cluster"),
            "service_name": (service.service_name, "ECS service"),
            "task_definition_arn": (service.task.arn, "Task definition the service runs"),
            "service_image_tag": (image_tag, "Image tag of the service's task definition (the release the pipeline keeps)"),
            "migration_task_definition_arn": (migration.task_definition_arn, "Task definition of the database migrations"),
            "migration_security_group_id": (migration.security_group_id, "Security group of the migration task"),
            "private_subnet_ids": (self.network.private_subnet_ids, "Private subnets the tasks run in"),
            "service_log_group": (service.task.log_group_name, "CloudWatch log group of the service"),
            "migration_log_group": (migration.log_group_name, "CloudWatch log group of the migrations"),
            "migration_command": (migration.run_task_command, "Runs the database migrations with the deployed image"),
            "vpc_id": (self.network.vpc_id, "VPC the service runs in"),
            "db_endpoint": (self.database.endpoint, "PostgreSQL endpoint (host:port)"),
            "db_secret_arn": (self.database.secret_arn, "ARN of the RDS-managed master secret (not its value)"),
        }
        for output_id, (value, description) in outputs.items():
            TerraformOutput(self, output_id, value=value, description=description)
        if config.account_id is not None:
            # The deploy role may create roles only under this boundary (stacks/roles_stack.py), so every role does.
            Aspects.of(self).add(PermissionsBoundary(accounts.boundary_arn(config)))

    def _roles(self) -> tuple[list[AwsProviderAssumeRole] | None, S3BackendAssumeRoleConfig | None]:
        """In an account of its own (account_id): the provider acts as var.aws_role_arn, the deploy role unless a plan
        names the plan role (scripts/terraform.sh), and the backend reaches the state bucket as the deploy role (a plan
        names the plan role in a backend file of its own). None, None otherwise."""
        config = self.config
        if config.account_id is None:
            return None, None
        session = f"wallet-{config.environment}-terraform"
        role = TerraformVariable(
            self,
            "aws_role_arn",
            type="string",
            nullable=False,
            default=accounts.role_arn(config, "deploy"),
            description="The role Terraform acts as in the environment's account: the deploy role, or the plan role for a read-only plan",
        )
        return [AwsProviderAssumeRole(role_arn=role.string_value, session_name=session)], S3BackendAssumeRoleConfig(
            role_arn=accounts.role_arn(config, "deploy"), session_name=session
        )

    def _foundation(self) -> tuple[str, str]:
        """Provider, remote state, and the image tags of the service and of the migrations (as references)."""
        config = self.config
        allowed, tags = list(config.allowed_account_ids) or None, [AwsProviderDefaultTags(tags=config.tags)]
        assume_role, backend_role = self._roles()
        AwsProvider(self, "aws", region=config.region, allowed_account_ids=allowed, default_tags=tags, assume_role=assume_role)
        self.copy_provider: AwsProvider | None = None
        if config.aws_backup and config.backup_copy_region:  # the Region of the backup copies
            self.copy_provider = AwsProvider(
                self,
                "aws_backup_copy",
                alias="backup_copy",
                region=config.backup_copy_region,
                allowed_account_ids=allowed,
                default_tags=tags,
                assume_role=assume_role,
            )
        S3Backend(
            self,
            bucket=config.state_bucket or "",
            key=state_key(config.environment),
            region=config.state_region,
            encrypt=True,
            assume_role=backend_role,
        )
        # cdktf 0.21's S3Backend has no use_lockfile: native S3 locking, no DynamoDB table needed.
        self.add_override("terraform.backend.s3.use_lockfile", True)
        if config.state_bucket is None:
            # Terraform's partial backend configuration: without a bucket, `terraform init` asks for one (or takes
            # -backend-config=bucket=...). main.py warns and the project's scripts refuse until state_bucket is set.
            self.add_override("terraform.backend.s3.bucket", None)
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
            error_message=f"image_tag must be {IMAGE_TAG_FORM}.",
        )
        # Empty, not null, when unset: cdktf drops a None default, and a variable without a default is required, so
        # every plan without it would stop ("No value for required variable"). coalesce() skips "" as it skips null.
        migration_image_tag = TerraformVariable(
            self,
            "migration_image_tag",
            type="string",
            nullable=False,
            default="",
            description="Tag of the image the migration task runs; empty: image_tag. Set it to the next release to run its "
            "migrations before the service moves to it.",
        )
        migration_image_tag.add_validation(
            # Written out: cdktf's Op renders an operand "" or 0 as `undefined`, which Terraform refuses.
            condition='${var.migration_image_tag == "" || ' + f"can(regex({json.dumps(IMAGE_TAG)}, var.migration_image_tag))" + "}",
            error_message=f"migration_image_tag must be empty (the migrations follow image_tag) or {IMAGE_TAG_FORM}.",
        )
        self.bootstrap = TerraformVariable(
            self,
            "bootstrap",
            type="bool",
            nullable=False,
            default=False,
            description="True only for the first apply of an environment (pipenv run deploy and release do it): the service starts "
            "without tasks and auto scaling holds it at 0 until the migrations have created the schema.",
        ).to_string()
        return image_tag.string_value, Fn.coalesce([migration_image_tag.string_value, image_tag.string_value])

    def _logs_key(self) -> EncryptionKey:
        config, env = self.config, self.config.environment
        return EncryptionKey(
            self,
            "logs_key",
            props=EncryptionKeyProps(
                alias=f"{self.name}-logs",
                description=f"Encrypts the {self.name} log groups",
                account_id=self.account_id,
                partition=config.partition,
                grants=[
                    log_groups_grant(
                        region=config.region,
                        account_id=self.account_id,
                        partition=config.partition,
                        log_groups=[
                            service_log_group(env),
                            migration_log_group(env),
                            f"/aws/rds/instance/{self.name}/*",
                            waf_log_group_name(self.name),
                        ],
                    )
                ],
            ),
        )

    def _database(self) -> Database:
        config = self.config
        self.database_key = EncryptionKey(
            self,
            "database_key",
            props=EncryptionKeyProps(
                alias=f"{self.name}-database",
                description=f"Encrypts the {self.name} database: storage and snapshots, master secret, Database Insights",
                account_id=self.account_id,
                partition=config.partition,
                # No service statement: RDS and Secrets Manager use the key through grants made with the caller's
                # permissions, and whoever reads the secret or Database Insights needs kms:Decrypt through IAM, which
                # the account statement delegates to (the migration task's execution role gets it, via Secrets Manager
                # only). docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html,
                # docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.access-control.cmk-policy.html
                grants=[],
                # With backup_copy_vault_arn: AWS Backup's copy into the other account's vault is an RDS snapshot under
                # this key, which that account must be allowed to use (docs.aws.amazon.com/aws-backup/latest/devguide/
                # create-cross-account-backup.html: "if your resources are encrypted with a customer managed key, you
                # must share this customer managed key with the destination account"). Exactly that account.
                account_grants=snapshot_copy_grants(config.backup_copy_account_id) if config.backup_copy_account_id else (),
            ),
        )
        key = self.database_key.arn
        return Database(
            self,
            "database",
            props=DatabaseProps(
                identifier=self.name,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.private_subnet_ids,
                instance_class=config.db_instance_class,
                allocated_storage=config.db_allocated_storage,
                max_allocated_storage=config.db_max_allocated_storage,
                backup_retention_days=config.db_backup_retention_days,
                multi_az=config.db_multi_az,
                protected=config.db_deletion_protection,
                prevent_destroy=config.db_prevent_destroy,
                engine_major_version=config.db_engine_version,
                allow_major_version_upgrade=config.db_allow_major_version_upgrade,
                apply_immediately=config.db_apply_immediately,
                aws_backup=config.aws_backup,
                log_retention_days=config.log_retention_days,
                log_kms_key_arn=self.logs_key.arn,
                performance_insights_kms_key_arn=key,
                insights_mode=config.database_insights_mode,
                storage_kms_key_arn=key if config.db_storage_customer_key else None,
                secret_kms_key_arn=key,
                ca_cert_identifier=config.db_ca_cert_identifier,
                partition=config.partition,
            ),
        )

    def _load_balancer(self) -> LoadBalancer:
        config = self.config
        return LoadBalancer(
            self,
            "load_balancer",
            props=LoadBalancerProps(
                name=self.name,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.public_subnet_ids_one_per_zone,
                target_port=config.container_port,
                health_check_path=config.health_check_path,
                ingress_cidrs=config.ingress_cidrs,
                certificate_arn=config.certificate_arn,
                certificate_tags=config.certificate_tags,
                tls_policy=config.tls_policy,
                deletion_protection=config.alb_deletion_protection,
                access_logs_bucket=f"{self.name}-alb-logs-{self.account_id}" if config.alb_access_logs else None,
                traffic_shift=config.deployment_strategy != "rolling",
                test_listener_port=config.test_listener_port,
                test_ingress_cidrs=config.test_listener_cidrs,
                deregistration_delay_seconds=config.deregistration_delay_seconds,
                slow_start_seconds=config.slow_start_seconds,
            ),
        )

    def _web_acl(self, load_balancer: LoadBalancer) -> None:
        config = self.config
        if not config.waf:
            return
        WebAcl(
            self,
            "waf",
            props=WebAclProps(
                name=self.name,
                resource_arn=load_balancer.arn,
                rate_limit_per_5_minutes=config.waf_rate_limit_per_5_minutes,
                log_retention_days=config.log_retention_days,
                log_kms_key_arn=self.logs_key.arn,
                logged_actions=("BLOCK", "COUNT") if config.waf_log_counted else ("BLOCK",),
            ),
        )

    def _workloads(self, load_balancer: LoadBalancer) -> tuple[FargateService, MigrationTask]:
        """The service (scaled, behind the load balancer) and the migration task, with their network paths."""
        config, env = self.config, self.config.environment
        pull_through_cache = None
        if any(sidecar.pulled_through_cache for sidecar in config.sidecars):
            # ECR Public through the private registry: the tasks pull over the ECR endpoints and reach no other
            # registry; ECR fetches the upstream image on the first pull (docs.aws.amazon.com/AmazonECR/latest/
            # userguide/pull-through-cache.html; ECR Public needs no credentials).
            pull_through_cache = EcrPullThroughCacheRule(
                self, "pull_through_cache", ecr_repository_prefix=pull_through_prefix(env), upstream_registry_url=UPSTREAM_REGISTRY
            )
        shared = TaskContext(config=config, account_id=self.account_id, image=self.image, network=self.network,
                             database=self.database, logs_key_arn=self.logs_key.arn,
                             database_key_arn=self.database_key.arn, pull_through_cache=pull_through_cache)  # fmt: skip
        service = FargateService(
            self,
            "service",
            props=FargateServiceProps(
                cluster_name=f"{SERVICE}-cluster-{env}",
                service_name=self.name,
                task=shared.task_props(
                    self.name, service_log_group(env), port=config.container_port, ecs_exec=config.enable_ecs_exec, sidecars=True
                ),
                subnet_ids=self.network.private_subnet_ids,
                desired_count=config.desired_count,
                target_group_arn=load_balancer.live_target_group_arn,
                listeners=load_balancer.listeners,
                health_check_grace_seconds=config.health_check_grace_seconds,
                enable_execute_command=config.enable_ecs_exec,
                deployment_alarm_names=[alarm_name(self.name, what) for what in DEPLOYMENT_ALARMS],
                spot=SpotCapacity(percent=config.fargate_spot_percent, on_demand_base=config.fargate_on_demand_base),
                traffic_shift=self._traffic_shift(load_balancer),
                deployment_timeout_minutes=config.deployment_minutes,
                start_empty=self.bootstrap,
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
                hold_empty=self.bootstrap,
                replace_triggered_by=(service.replacement_trigger,),
            ),
        )
        migration = MigrationTask(
            self,
            "migration",
            props=MigrationTaskProps(
                task=shared.task_props(
                    f"{SERVICE}-migration-{env}",
                    migration_log_group(env),
                    command=config.migration_command,
                    image=self.migration_image,
                    master=True,
                ),
                cluster_name=service.cluster_name,
                subnet_ids=self.network.private_subnet_ids,
            ),
        )
        endpoints = None
        if config.vpc_endpoints:
            endpoints = VpcEndpoints(
                self,
                "endpoints",
                props=VpcEndpointsProps(
                    name=self.name,
                    region=config.region,
                    vpc_id=self.network.vpc_id,
                    subnet_ids=self.network.private_subnet_ids_one_per_zone,
                    route_table_ids=self.network.private_route_table_ids,
                    ecs_exec=config.enable_ecs_exec,
                    extra_services=config.sidecar_aws_services,
                    az_count=config.vpc_endpoint_azs,
                ),
            )
        to_tasks = load_balancer.allow_to("service", security_group_id=service.security_group_id, description="To the service's tasks")
        service.allow_from(
            "load_balancer", security_group_id=load_balancer.security_group_id, description="From the load balancer", egress=to_tasks
        )
        for task_id, task in (("service", service.task), ("migration", migration.task)):
            connect(task_id, task, database=self.database, endpoints=endpoints)
        return service, migration

    def _backup(self, alarms: Alarms) -> None:
        config = self.config
        if not config.aws_backup:
            return
        backup = DatabaseBackup(
            self,
            "backup",
            props=DatabaseBackupProps(
                name=self.name,
                account_id=self.account_id,
                partition=config.partition,
                resource_arns=[self.database.arn],
                retention_days=config.backup_retention_days,
                lock_min_days=config.backup_vault_lock_min_days,
                lock_max_days=config.backup_vault_lock_max_days,
                lock_mode=config.backup_vault_lock_mode,
                copy_provider=self.copy_provider,
                copy_vault_arn=config.backup_copy_vault_arn,
                restore_testing=RestoreTestingProps(
                    schedule_expression=config.restore_testing_schedule,
                    validation_window_hours=config.restore_testing_validation_hours,
                    db_instance_class=config.restore_testing_db_instance_class,
                    vpc_id=self.network.vpc_id,
                    subnet_group_name=self.database.subnet_group_name,
                )
                if config.restore_testing
                else None,
            ),
        )
        alarms.notify("backup_failed", backup.failure_rule, backup.failure_message)
        if backup.restore_tests is not None:
            alarms.notify("restore_tested", *backup.restore_tests)

    def _traffic_shift(self, load_balancer: LoadBalancer) -> TrafficShift | None:
        config = self.config
        if config.deployment_strategy == "rolling" or load_balancer.production_rule_arn is None:
            return None
        return TrafficShift(
            strategy=cast(ShiftStrategy, config.deployment_strategy.upper()),  # canary -> CANARY, blue_green -> BLUE_GREEN
            alternate_target_group_arn=load_balancer.standby_target_group_arn or load_balancer.target_group_arns[1],
            group_arns=load_balancer.target_group_arns,
            production_rule_arn=load_balancer.production_rule_arn,
            test_rule_arn=load_balancer.test_rule_arn,
            listener_arns=load_balancer.shifted_listener_arns,
            bake_minutes=config.deployment_bake_minutes,
            canary_percent=config.canary_percent,
            canary_bake_minutes=config.canary_bake_minutes,
            linear_step_percent=config.linear_step_percent,
            linear_step_bake_minutes=config.linear_step_bake_minutes,
            hold_rolling=self._hold_rolling(),
        )

    def _hold_rolling(self) -> str:
        """The variable keep_rolling, as the Terraform expression it is (a traffic-shifting environment only)."""
        keep = TerraformVariable(
            self,
            "keep_rolling",
            type="bool",
            nullable=False,
            default=False,
            description="True only for the first apply of a switch from the rolling strategy (pipenv run deploy and release do "
            "it): the service gets the second target group, the live rule and the role, and keeps rolling; the next apply "
            "sets the strategy.",
        )
        return f"var.{keep.friendly_unique_id}"

    def _alarms(self, service: FargateService, load_balancer: LoadBalancer) -> Alarms:
        config = self.config
        return Alarms(
            self,
            "alarms",
            props=AlarmsProps(
                prefix=self.name,
                region=config.region,
                partition=config.partition,
                account_id=self.account_id,
                emails=config.alarm_emails,
                notify_arns=config.alarm_notify_arns,
                require_target=config.tier != "development",
                cluster_name=service.cluster_name,
                service_name=service.service_name,
                service_arn=service.service_arn,
                min_running_tasks=config.min_capacity,
                db_identifier=self.database.identifier,
                load_balancer_arn_suffix=load_balancer.arn_suffix,
                target_group_arn_suffixes=load_balancer.target_group_arn_suffixes,
                min_requests_per_minute=config.deploy_alarm_min_requests,
                thresholds=config.alarm_thresholds,
            ),
        )
