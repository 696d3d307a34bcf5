"""Security group rules as separate resources, each with a description and exactly one peer.

Every construct that owns a security group grants access through these two functions, so a rule
always names what it admits: another security group, a prefix list (a VPC endpoint's), or a CIDR.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from constructs_lib.builtin import terraform_data


@dataclass(frozen=True, kw_only=True)
class Peer:
    """The other side of a rule: exactly one of a security group, a prefix list or a CIDR block."""

    security_group_id: str | None = None
    prefix_list_id: str | None = None
    cidr: str | None = None

    def __post_init__(self) -> None:
        if sum(value is not None for value in (self.security_group_id, self.prefix_list_id, self.cidr)) != 1:
            raise ValueError("a Peer names exactly one of security_group_id, prefix_list_id, cidr")

    @property
    def cidr_ipv4(self) -> str | None:
        return self.cidr if self.cidr is not None and ":" not in self.cidr else None

    @property
    def cidr_ipv6(self) -> str | None:
        return self.cidr if self.cidr is not None and ":" in self.cidr else None


Rule = VpcSecurityGroupIngressRule | VpcSecurityGroupEgressRule


def ingress(scope: Construct, id_: str, *, security_group_id: str, peer: Peer, port: int, description: str, overlap: bool = False) -> Rule:
    """Admit TCP ``port`` into ``security_group_id`` from ``peer``. ``overlap``: see :func:`egress`."""
    return _rule(
        VpcSecurityGroupIngressRule, scope, id_, security_group_id=security_group_id, peer=peer, port=port, description=description,
        overlap=overlap,
    )  # fmt: skip


def egress(scope: Construct, id_: str, *, security_group_id: str, peer: Peer, port: int, description: str, overlap: bool = False) -> Rule:
    """Let ``security_group_id`` open TCP connections to ``peer`` on ``port``.

    ``overlap``: a change of ``port`` adds the new rule before the old one goes, and the old one goes only after every
    resource that depends on the rule has been applied (make the workload that moves to the new port depend on it).
    The provider would otherwise change the port in place (ModifySecurityGroupRules), cutting off whatever still
    listens on the old one. Default: changed in place."""
    return _rule(
        VpcSecurityGroupEgressRule, scope, id_, security_group_id=security_group_id, peer=peer, port=port, description=description,
        overlap=overlap,
    )  # fmt: skip


def _rule(
    kind: type[VpcSecurityGroupIngressRule | VpcSecurityGroupEgressRule],
    scope: Construct,
    id_: str,
    *,
    security_group_id: str,
    peer: Peer,
    port: int,
    description: str,
    overlap: bool,
) -> Rule:
    lifecycle = None
    if overlap:
        # A terraform_data holds the port: a change of it replaces the rule, created before the old one is destroyed.
        # Its own creation (in a stack deployed before it existed) replaces nothing.
        port_holder = terraform_data(scope, f"{id_}_port", input=port)
        # Addresses, not references: Terraform reads replace_triggered_by as a reference ("${...}" is refused).
        lifecycle = TerraformResourceLifecycle(
            create_before_destroy=True, replace_triggered_by=[f"terraform_data.{port_holder.friendly_unique_id}"]
        )
    return kind(
        scope,
        id_,
        security_group_id=security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        referenced_security_group_id=peer.security_group_id,
        prefix_list_id=peer.prefix_list_id,
        cidr_ipv4=peer.cidr_ipv4,
        cidr_ipv6=peer.cidr_ipv6,
        lifecycle=lifecycle,
    )
