"""Database: the wallet's PostgreSQL on RDS, private, encrypted, TLS-only, with RDS-managed credentials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from constructs_lib import firewall
from constructs_lib.builtin import terraform_data
from constructs_lib.firewall import Peer

POSTGRES_PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
ENGINE = "postgres"
# The one place for which classes get Database Insights: AWS's table "Amazon RDS DB engine, Region, and instance class
# support for Database Insights" (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.Engines.html)
# lists, per engine, the classes it is not supported on: the micro and small burstable classes for RDS for MySQL and
# MariaDB, none for RDS for PostgreSQL. Enabling it on an unsupported class fails the apply.
SMALL_BURSTABLE = frozenset({"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"})
INSIGHTS_UNSUPPORTED_CLASSES: dict[str, frozenset[str]] = {"postgres": frozenset(), "mysql": SMALL_BURSTABLE, "mariadb": SMALL_BURSTABLE}
# Performance Insights reached its end of life in 2026 and became CloudWatch Database Insights; the provider still
# configures it through performance_insights_* (the data) and database_insights_mode. Standard keeps 7 days (free),
# advanced needs 465 days (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.Considerations.html).
INSIGHTS_RETENTION_DAYS = {"standard": 7, "advanced": 465}
SLOW_STATEMENT_MS = 1000


@dataclass(frozen=True, kw_only=True)
class DatabaseProps:
    identifier: str
    """RDS instance identifier; also names the subnet group, parameter group, security group and snapshot."""
    vpc_id: str
    subnet_ids: Sequence[str]
    """Private subnets in at least two Availability Zones."""
    instance_class: str
    allocated_storage: int
    max_allocated_storage: int
    """Ceiling for storage autoscaling; equal to allocated_storage turns autoscaling off."""
    backup_retention_days: int
    multi_az: bool = False
    """Default: single-AZ."""
    protected: bool = True
    """Deletion protection, a final snapshot, and automated backups kept after deletion. Default: on."""
    prevent_destroy: bool = False
    """Terraform refuses to destroy the instance (only an edit of the code lifts it). Default: off."""
    engine_major_version: Literal["16", "17"] = "17"
    """PostgreSQL major version; minor versions upgrade automatically. Default: 17."""
    allow_major_version_upgrade: bool = False
    """Let a change of engine_major_version upgrade the instance, at once (whatever ``apply_immediately`` says): the
    new version's parameter group replaces the old one, and the old can be deleted only once the instance has moved
    (RDS refuses to delete a group in use). Default: off, so RDS refuses a major version change."""
    apply_immediately: bool = True
    """Apply a change of class, storage, Multi-AZ, ... during the apply; false: RDS defers it to the maintenance
    window (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.ApplyImmediately.html), and until then
    every plan shows it again. Default: at once."""
    aws_backup: bool = False
    """AWS Backup's continuous backup manages the automated backups: it sets their retention to its plan's (give the
    same backup_retention_days) and their window, so the instance's backup_window is set at creation and then ignored
    (an AWS Backup-managed instance otherwise differs from the configuration in every plan; docs.aws.amazon.com/
    aws-backup/latest/devguide/point-in-time-recovery.html, Amazon RDS). Default: RDS's own."""
    db_name: str = "wallet"
    master_username: str = "wallet_admin"
    log_retention_days: int = 30
    """Retention of the exported PostgreSQL and upgrade logs. Default: 30 days."""
    log_kms_key_arn: str | None = None
    """KMS key encrypting the exported logs. Default: CloudWatch Logs' own encryption."""
    performance_insights_kms_key_arn: str | None = None
    """KMS key encrypting Database Insights data, on classes that support it (AWS allows no change of this key
    once it has been on). Default: the AWS-managed key."""
    insights_mode: Literal["standard", "advanced"] = "standard"
    storage_kms_key_arn: str | None = None
    """KMS key of the storage and its snapshots; a change replaces the instance. Default: the AWS-managed key."""
    secret_kms_key_arn: str | None = None
    """KMS key of the RDS-managed master secret. Default: the AWS-managed Secrets Manager key."""
    ca_cert_identifier: str = "rds-ca-rsa2048-g1"
    """The certificate authority of the server certificate."""
    partition: str = "aws"
    """ARN partition of the region (aws-cn, aws-us-gov elsewhere). Default: aws."""


class Database(Construct):
    """RDS PostgreSQL whose only way in is PostgreSQL's port from the security groups granted by :meth:`allow_from`."""

    def __init__(self, scope: Construct, id_: str, *, props: DatabaseProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        subnet_group = DbSubnetGroup(
            self,
            "subnet_group",
            name=props.identifier,
            subnet_ids=list(props.subnet_ids),
            description=f"Private subnets of {props.identifier}",
        )
        self._security_group = SecurityGroup(
            self,
            "security_group",
            name=f"{props.identifier}-db",
            description=f"PostgreSQL of {props.identifier}: ingress only from granted security groups",
            vpc_id=props.vpc_id,
        )
        parameters = DbParameterGroup(
            self,
            "parameter_group",
            # A prefix, not a name: a replacement (a new major version's family) creates the new group before the old
            # one goes, and two groups cannot share a name.
            name_prefix=f"{props.identifier}-postgres{props.engine_major_version}-",
            family=f"postgres{props.engine_major_version}",
            description=f"TLS-only, slow-statement and connection logging for {props.identifier}",
            parameter=[
                DbParameterGroupParameter(name="rds.force_ssl", value="1"),
                DbParameterGroupParameter(name="log_min_duration_statement", value=str(SLOW_STATEMENT_MS)),
                DbParameterGroupParameter(name="log_connections", value="1"),
                DbParameterGroupParameter(name="log_disconnections", value="1"),
            ],
            # A new major version needs a new group: create it before the old one is released.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # RDS would create these on first export, without retention; ours expire.
        log_groups = [
            CloudwatchLogGroup(
                self,
                f"{kind}_logs",
                name=f"/aws/rds/instance/{props.identifier}/{kind}",
                retention_in_days=props.log_retention_days,
                kms_key_id=props.log_kms_key_arn,
            )
            for kind in LOG_EXPORTS
        ]
        monitoring_role = self._monitoring_role()
        insights = self.performance_insights_supported(props.instance_class)
        instance = DbInstance(
            self,
            "instance",
            identifier=props.identifier,
            engine=ENGINE,
            engine_version=props.engine_major_version,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=props.allow_major_version_upgrade,
            instance_class=props.instance_class,
            allocated_storage=props.allocated_storage,
            max_allocated_storage=props.max_allocated_storage if props.max_allocated_storage > props.allocated_storage else None,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=props.storage_kms_key_arn,
            ca_cert_identifier=props.ca_cert_identifier,
            db_name=props.db_name,
            username=props.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=props.secret_kms_key_arn,
            port=POSTGRES_PORT,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self._security_group.id],
            publicly_accessible=False,
            parameter_group_name=parameters.name,
            multi_az=props.multi_az,
            backup_retention_period=props.backup_retention_days,
            backup_window="03:00-04:00",
            maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            apply_immediately=props.apply_immediately or props.allow_major_version_upgrade,
            deletion_protection=props.protected,
            skip_final_snapshot=not props.protected,
            final_snapshot_identifier=self._final_snapshot_identifier() if props.protected else None,
            delete_automated_backups=not props.protected,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            monitoring_interval=60,
            monitoring_role_arn=monitoring_role.arn,
            performance_insights_enabled=insights,
            performance_insights_kms_key_id=props.performance_insights_kms_key_arn if insights else None,
            performance_insights_retention_period=INSIGHTS_RETENTION_DAYS[props.insights_mode] if insights else None,
            database_insights_mode=props.insights_mode if insights else None,
            iam_database_authentication_enabled=True,
            depends_on=[*log_groups, monitoring_role],
            lifecycle=TerraformResourceLifecycle(
                prevent_destroy=props.prevent_destroy or None, ignore_changes=["backup_window"] if props.aws_backup else None
            )
            if props.prevent_destroy or props.aws_backup
            else None,
        )
        self.address: str = instance.address
        self.port: float = instance.port
        self.endpoint: str = instance.endpoint
        self.db_name: str = props.db_name
        self.identifier: str = instance.identifier
        self.arn: str = instance.arn
        self.resource_id: str = instance.resource_id
        """The DbiResourceId, part of the rds-db:connect ARN of a database user."""
        self.security_group_id: str = self._security_group.id
        self.subnet_group_name: str = subnet_group.name
        self.secret_arn: str = instance.master_user_secret.get(0).secret_arn
        """The RDS-managed secret: JSON with the keys ``username`` and ``password``."""

    def _final_snapshot_identifier(self) -> str:
        """``<identifier>-final-<id>``, where the id (a UUID) is new with each lifetime of the instance: a destroy and a
        redeploy, or a replacement (the storage key is the one setting that forces one), give the next delete a name
        no snapshot has yet; one fixed name fails the second delete with DBSnapshotAlreadyExists. Terraform's own
        ``terraform_data`` (no provider to install) holds the id. A snapshot identifier is 1-255 letters, digits and
        hyphens, starting with a letter, without two hyphens in a row or one at the end
        (docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html, FinalDBSnapshotIdentifier)."""
        props = self._props
        lifetime = terraform_data(
            self, "lifetime", triggers_replace={"identifier": props.identifier, "storage_kms_key": props.storage_kms_key_arn or "aws/rds"}
        )
        return f"{props.identifier}-final-{lifetime.get_string_attribute('id')}"

    @staticmethod
    def performance_insights_supported(instance_class: str) -> bool:
        return instance_class not in INSIGHTS_UNSUPPORTED_CLASSES[ENGINE]

    def user_arn(self, *, partition: str, region: str, account_id: str, user: str) -> str:
        """What rds-db:connect is allowed on for ``user`` (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/
        UsingWithRDS.IAMDBAuth.IAMPolicy.html: arn:aws:rds-db:region:account-id:dbuser:DbiResourceId/db-user-name)."""
        return f"arn:{partition}:rds-db:{region}:{account_id}:dbuser:{self.resource_id}/{user}"

    def allow_from(self, id_: str, *, security_group_id: str, description: str) -> None:
        """Admit PostgreSQL connections from the members of ``security_group_id``."""
        firewall.ingress(
            self,
            f"ingress_from_{id_}",
            security_group_id=self._security_group.id,
            peer=Peer(security_group_id=security_group_id),
            port=POSTGRES_PORT,
            description=description,
        )

    def _monitoring_role(self) -> IamRole:
        """The role RDS enhanced monitoring uses to publish OS metrics."""
        trust = DataAwsIamPolicyDocument(
            self,
            "monitoring_trust",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["sts:AssumeRole"],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["monitoring.rds.amazonaws.com"])],
                )
            ],
        )
        role = IamRole(self, "monitoring_role", name=f"{self._props.identifier}-rds-monitoring", assume_role_policy=trust.json)
        IamRolePolicyAttachment(
            self,
            "monitoring_policy",
            role=role.name,
            policy_arn=f"arn:{self._props.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        )
        return role
