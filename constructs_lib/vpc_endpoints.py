"""VpcEndpoints: private paths from the private subnets to ECR, CloudWatch Logs, Secrets Manager and S3."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import Fn, Op, Precondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from constructs_lib import firewall
from constructs_lib.endpoint_services import interface_services
from constructs_lib.firewall import Peer

HTTPS = 443


@dataclass(frozen=True, kw_only=True)
class VpcEndpointsProps:
    name: str
    """Names the endpoints' security group."""
    region: str
    vpc_id: str
    subnet_ids: Sequence[str]
    """Private subnets, at most one per Availability Zone, that get an interface endpoint network interface each."""
    route_table_ids: Sequence[str]
    """Route tables of the private subnets, for the S3 gateway endpoint (ECR keeps image layers in S3)."""
    ecs_exec: bool = False
    """Add the Session Manager messages endpoint that ECS Exec sessions use. Default: off."""
    extra_services: tuple[str, ...] = ()
    """More services by endpoint service name (what sidecars call, e.g. xray). Default: none."""
    az_count: int | None = None
    """Put the interface endpoints in the first ``az_count`` of ``subnet_ids`` (sorted by id), not
    in all: each endpoint is billed per AZ, and tasks in other AZs reach it across zones (and lose it when its AZs
    fail). Default: every subnet."""


class VpcEndpoints(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: VpcEndpointsProps) -> None:
        super().__init__(scope, id_)
        self._security_group = SecurityGroup(
            self,
            "security_group",
            name=f"{props.name}-endpoints",
            description=f"Interface endpoints of {props.name}: HTTPS from granted tasks",
            vpc_id=props.vpc_id,
        )
        services = interface_services(ecs_exec=props.ecs_exec, extra=props.extra_services)
        subnet_ids: list[str] = list(props.subnet_ids)
        lifecycle = None
        if props.az_count is not None:
            # A list of az_count elements, so the synthesized JSON says how many AZs are billed (costs/estimate.py).
            subnet_ids = [Fn.element(Fn.sort(props.subnet_ids), index) for index in range(props.az_count)]
            lifecycle = TerraformResourceLifecycle(
                precondition=[
                    Precondition(
                        condition=Op.gte(Fn.length_of(props.subnet_ids), props.az_count),  # element() would wrap around
                        error_message=f"vpc_endpoint_azs is {props.az_count}, more than the Availability Zones of the VPC's "
                        "private subnets.",
                    )
                ]
            )
        for endpoint_id, service in services.items():
            VpcEndpoint(
                self,
                endpoint_id,
                vpc_id=props.vpc_id,
                service_name=f"com.amazonaws.{props.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[self._security_group.id],
                lifecycle=lifecycle,
            )
        s3 = VpcEndpoint(
            self,
            "s3",
            vpc_id=props.vpc_id,
            service_name=f"com.amazonaws.{props.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=list(props.route_table_ids),
        )
        self.security_group_id: str = self._security_group.id
        self.s3_prefix_list_id: str = s3.prefix_list_id

    def allow_from(self, id_: str, *, security_group_id: str, description: str) -> None:
        firewall.ingress(
            self,
            f"ingress_from_{id_}",
            security_group_id=self._security_group.id,
            peer=Peer(security_group_id=security_group_id),
            port=HTTPS,
            description=description,
        )
