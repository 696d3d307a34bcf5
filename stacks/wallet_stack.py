"""WalletStack: one environment of the wallet service. Provider, backend, variables, constructs, outputs."""

from __future__ import annotations

from cdktf import Fn, S3Backend, TerraformOutput, TerraformVariable
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

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
        TerraformOutput(self, "vpc_id", value=network.vpc_id, description="VPC the service runs in")
