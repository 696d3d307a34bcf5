"""WalletStack: one environment of the wallet service. Provider, backend, variables, constructs, outputs."""

from __future__ import annotations

from cdktf import Fn, S3Backend, TerraformOutput, TerraformVariable
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from constructs_lib.database import Database, DatabaseProps
from constructs_lib.network import Network, NetworkProps, SubnetSelection
from stacks.base import AddressedStack
from stacks.config import IMAGE_TAG, EnvironmentConfig


def state_key(environment: str) -> str:
    return f"wallet-service/{environment}/terraform.tfstate"


class WalletStack(AddressedStack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        AwsProvider(
            self,
            "aws",
            region=config.region,
            allowed_account_ids=list(config.allowed_account_ids) or None,
            default_tags=[AwsProviderDefaultTags(tags=config.tags)],
        )
        S3Backend(
            self,
            bucket=config.state_bucket,
            key=state_key(config.environment),
            region=config.state_region,
            encrypt=True,
        )
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
        self.image_tag: str = image_tag.string_value

        network = Network(
            self,
            "network",
            props=NetworkProps(
                vpc_id=config.vpc_id,
                vpc_tags={"Name": f"wallet-{config.environment}"},
                private_subnets=SubnetSelection(ids=config.private_subnet_ids, tags=config.private_subnet_tags),
                public_subnets=SubnetSelection(ids=config.public_subnet_ids, tags=config.public_subnet_tags),
            ),
        )
        database = Database(
            self,
            "database",
            props=DatabaseProps(
                identifier=f"wallet-service-{config.environment}",
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
            ),
        )

        TerraformOutput(self, "vpc_id", value=network.vpc_id, description="VPC the service runs in")
        TerraformOutput(self, "db_endpoint", value=database.endpoint, description="PostgreSQL endpoint (host:port)")
        TerraformOutput(
            self, "db_secret_arn", value=database.secret_arn, description="ARN of the RDS-managed master secret (not its value)"
        )
