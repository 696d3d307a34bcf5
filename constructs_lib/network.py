"""Network: looks up the VPC, its private and public subnets and the private route tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_route_tables import DataAwsRouteTables, DataAwsRouteTablesFilter
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets, DataAwsSubnetsFilter
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from constructs import Construct

MIN_SUBNETS = 2


@dataclass(frozen=True, kw_only=True)
class SubnetSelection:
    """Which subnets of the VPC to use: explicit ids, or every subnet carrying all of ``tags``."""

    ids: tuple[str, ...] = ()
    """Explicit subnet ids; they must all be found in the VPC. Default: select by tags."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags every selected subnet carries. Used when ``ids`` is empty."""


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    private_subnets: SubnetSelection
    public_subnets: SubnetSelection
    vpc_id: str | None = None
    """The VPC's id. Default: the VPC carrying all of ``vpc_tags``."""
    vpc_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the VPC, used when ``vpc_id`` is not given."""


class Network(Construct):
    """Read-only lookups of an existing VPC; the plan fails with a clear message if it lacks what we need."""

    def __init__(self, scope: Construct, id_: str, *, props: NetworkProps) -> None:
        super().__init__(scope, id_)
        if props.vpc_id is None and not props.vpc_tags:
            raise ValueError("NetworkProps needs vpc_id or vpc_tags")
        vpc = DataAwsVpc(self, "vpc", id=props.vpc_id, tags=None if props.vpc_id else dict(props.vpc_tags))
        self.vpc_id: str = vpc.id
        self.vpc_cidr_block: str = vpc.cidr_block

        private = self._subnets("private_subnets", vpc.id, props.private_subnets, "private")
        public = self._subnets("public_subnets", vpc.id, props.public_subnets, "public")
        self.private_subnet_ids: list[str] = private.ids
        self.public_subnet_ids: list[str] = public.ids

        route_tables = DataAwsRouteTables(
            self,
            "private_route_tables",
            vpc_id=vpc.id,
            filter=[DataAwsRouteTablesFilter(name="association.subnet-id", values=private.ids)],
            lifecycle=_require(
                "${length(self.ids) >= 1}",
                "No route table is explicitly associated with the private subnets; the S3 gateway endpoint needs their route tables.",
            ),
        )
        self.private_route_table_ids: list[str] = route_tables.ids

    def _subnets(self, id_: str, vpc_id: str, selection: SubnetSelection, kind: str) -> DataAwsSubnets:
        filters = [DataAwsSubnetsFilter(name="vpc-id", values=[vpc_id])]
        if selection.ids:
            filters.append(DataAwsSubnetsFilter(name="subnet-id", values=list(selection.ids)))
            condition = f"${{length(self.ids) == {len(selection.ids)}}}"
            message = f"Not all of the {kind} subnets {', '.join(selection.ids)} were found in the VPC."
        else:
            if not selection.tags:
                raise ValueError(f"SubnetSelection for {kind} subnets needs ids or tags")
            filters += [DataAwsSubnetsFilter(name=f"tag:{key}", values=[value]) for key, value in selection.tags.items()]
            tags = ", ".join(f"{key}={value}" for key, value in selection.tags.items())
            condition = f"${{length(self.ids) >= {MIN_SUBNETS}}}"
            message = (
                f"Fewer than {MIN_SUBNETS} {kind} subnets tagged {tags} were found in the VPC; "
                f"tag them or set {kind}_subnet_ids in the configuration."
            )
        return DataAwsSubnets(
            self,
            id_,
            filter=filters,
            lifecycle=_require(condition, message),
        )


def _require(condition: str, message: str) -> TerraformResourceLifecycle:
    """A postcondition: `terraform plan` stops with ``message`` when the lookup's ``condition`` is false."""
    return TerraformResourceLifecycle(postcondition=[Postcondition(condition=condition, error_message=message)])
