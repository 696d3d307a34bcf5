"""Resources of Terraform's built-in provider ("terraform"), which needs no download: cdktf 0.21 has no class for them."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformProviderGeneratorMetadata, TerraformResource
from constructs import Construct


def terraform_data(scope: Construct, id_: str, **arguments: Any) -> TerraformResource:
    """A ``terraform_data`` resource with ``arguments`` (input, triggers_replace); its ``id`` is a UUID made at creation,
    its ``output`` follows ``input`` (developer.hashicorp.com/terraform/language/resources/terraform-data)."""
    resource = TerraformResource(
        scope,
        id_,
        terraform_resource_type="terraform_data",
        terraform_generator_metadata=TerraformProviderGeneratorMetadata(provider_name="terraform"),
    )
    for name, value in arguments.items():
        resource.add_override(name, value)
    return resource
