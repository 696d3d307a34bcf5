"""The stack base class: readable, stable Terraform addresses and the Terraform version every stack needs."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack
from constructs import Construct

# Native S3 state locking (use_lockfile) arrived in Terraform 1.10 and left experimental in 1.11.
REQUIRED_TERRAFORM = ">= 1.11.0"


class AddressedStack(TerraformStack):
    """A TerraformStack that requires Terraform >= 1.11 and whose logical ids are the construct path joined with ``_``.

    cdktf's default appends a hash (``database_instance_1A2B3C4D``); here the address is
    ``aws_db_instance.database_instance``: what an operator reads in ``terraform plan`` and types in
    ``terraform state`` commands. Ids come from construct ids only, never from the environment,
    so a construct's address is the same in every stack. Two paths that would join to one id are
    an error at synth time rather than a silent merge.
    """

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self._allocated: dict[str, str] = {}
        self.add_override("terraform.required_version", REQUIRED_TERRAFORM)

    def _allocate_logical_id(self, tf_element: Any) -> str:  # jsii override of allocateLogicalId
        node = tf_element.node
        scopes = node.scopes
        components = [scope.node.id for scope in scopes[scopes.index(self) + 1 :]]
        logical_id = "_".join(components)
        path = node.path
        previous = self._allocated.setdefault(logical_id, path)
        if previous != path:
            raise ValueError(f"logical id {logical_id!r} is claimed by both {previous} and {path}; rename one construct")
        return logical_id
