"""Network: looks up the VPC, its private and public subnets (all, and one per Availability Zone) and the route
tables of the private ones.

Subnets are chosen the way AWS CDK's ``Vpc.fromLookup`` chooses them: explicit ids; else the subnets carrying the
selection's tags (AWS CDK tags its subnets ``aws-cdk:subnet-type``); else, when no subnet carries them (a VPC built
without AWS CDK), by route table: a subnet whose route table (its explicitly associated one, else the VPC's main
table) has a route to an internet gateway is public, any other private. The Amazon VPC User Guide: "If a subnet is
associated with a route table that has a route to an internet gateway, it's known as a public subnet"; "a subnet that
is not explicitly associated with any route table is implicitly associated with the main route table"
(https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html,
https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html). release/preflight.py classifies with the
same rule before the first plan.

A load balancer and an interface endpoint take at most one subnet per Availability Zone (CreateLoadBalancer: "You can
specify only one subnet per Availability Zone", https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/
API_CreateLoadBalancer.html; an interface endpoint: "more than one subnet in different Availability Zones",
https://docs.aws.amazon.com/vpc/latest/userguide/vpce-interface.html), so those get the first subnet (by id) of each
zone; the tasks and the database use them all. Each kind must span at least two zones (an Application Load Balancer
and a DB subnet group need two).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdktf import Postcondition, Precondition, TerraformIterator, TerraformLocal, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.data_aws_route_table import DataAwsRouteTable
from cdktf_cdktf_provider_aws.data_aws_route_tables import DataAwsRouteTables
from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets, DataAwsSubnetsFilter
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from constructs import Construct

MIN_ZONES = 2
Kind = Literal["private", "public"]


@dataclass(frozen=True, kw_only=True)
class SubnetSelection:
    """Which subnets of the VPC to use: explicit ids, else every subnet carrying all of ``tags``, else (no ``tags``,
    or no subnet carries them) the subnets of that kind by route table."""

    ids: tuple[str, ...] = ()
    """Explicit subnet ids; they must all be found in the VPC. Default: select by tags, then by route table."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags every selected subnet carries. Used when ``ids`` is empty; empty: by route table only."""


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
        self._in_vpc = DataAwsSubnetsFilter(name="vpc-id", values=[vpc.id])
        self._classify(vpc.id)
        private = self._subnets("private", props.private_subnets)
        public = self._subnets("public", props.public_subnets)
        self.private_subnet_ids: list[str] = private.ids
        self.public_subnet_ids: list[str] = public.ids
        self.private_subnet_ids_one_per_zone: list[str] = self._one_per_zone("private", private)
        self.public_subnet_ids_one_per_zone: list[str] = self._one_per_zone("public", public)
        # The tables the private subnets use (the main one included): the S3 gateway endpoint's routes go there.
        route_tables = TerraformLocal(
            self, "private_route_tables", f"${{sort(distinct([for s in {private.fqn}.ids : {self._route_table_of.fqn}[s]]))}}"
        )
        self.private_route_table_ids: list[str] = route_tables.as_list

    def _classify(self, vpc_id: str) -> None:
        """Locals: every subnet of the VPC -> its zone and its route table, and the subnets of each kind by route table."""
        subnets = DataAwsSubnets(self, "vpc_subnets", filter=[self._in_vpc])
        each_subnet = TerraformIterator.from_list(subnets.ids)
        described = DataAwsSubnet(self, "subnet", for_each=each_subnet, id=Token.as_string(each_subnet.key)).fqn
        self._zones = TerraformLocal(self, "subnet_zones", f"${{{{for id, s in {described} : id => s.availability_zone}}}}")
        table_ids = DataAwsRouteTables(self, "vpc_route_tables", vpc_id=vpc_id)
        each = TerraformIterator.from_list(table_ids.ids)
        tables = DataAwsRouteTable(self, "route_table", for_each=each, route_table_id=Token.as_string(each.key)).fqn
        # Each expression names the other objects before its first "}": cdktf reads a "}" as the end of the expression.
        main = TerraformLocal(
            self,
            "main_route_table",
            f'${{coalesce(one([for id, t in {tables} : id if anytrue([for a in t.associations : a.main == true])]), "none")}}',
        )
        explicit = TerraformLocal(
            self,
            "explicit_route_tables",
            f'${{merge([for id, t in {tables} : {{for a in t.associations : a.subnet_id => id if a.subnet_id != null && a.subnet_id != ""}}]...)}}',
        )
        self._route_table_of = TerraformLocal(
            self, "subnet_route_tables", f"${{{{for s in {subnets.fqn}.ids : s => lookup({explicit.fqn}, s, {main.fqn})}}}}"
        )
        to_internet = f'[for id, t in {tables} : id if anytrue([for r in t.routes : startswith(coalesce(r.gateway_id, "none"), "igw-")])]'
        public_tables = TerraformLocal(self, "public_route_tables", f"${{{to_internet}}}")
        negations: tuple[tuple[Kind, str], ...] = (("private", "!"), ("public", ""))
        self._by_route: dict[Kind, TerraformLocal] = {
            kind: TerraformLocal(
                self,
                f"{kind}_subnets_by_route_table",
                f"${{sort([for s, t in {self._route_table_of.fqn} : s if {negate}contains({public_tables.fqn}, t)])}}",
            )
            for kind, negate in negations
        }

    def _subnets(self, kind: Kind, selection: SubnetSelection) -> DataAwsSubnets:
        if selection.ids:
            return DataAwsSubnets(
                self,
                f"{kind}_subnets",
                filter=[self._in_vpc, DataAwsSubnetsFilter(name="subnet-id", values=list(selection.ids))],
                lifecycle=TerraformResourceLifecycle(
                    postcondition=[
                        Postcondition(
                            condition=f"${{length(self.ids) == {len(selection.ids)}}}",
                            error_message=f"Not all of the {kind} subnets {', '.join(selection.ids)} were found in the VPC.",
                        ),
                        Postcondition(
                            condition=self._spans_zones("self.ids"),
                            error_message=f"The {kind} subnets {', '.join(selection.ids)} are in fewer than {MIN_ZONES} "
                            "Availability Zones.",
                        ),
                    ]
                ),
            )
        by_route = self._by_route[kind].fqn
        if selection.tags:
            tagged = DataAwsSubnets(
                self,
                f"{kind}_subnets_tagged",
                filter=[self._in_vpc, *(DataAwsSubnetsFilter(name=f"tag:{key}", values=[value]) for key, value in selection.tags.items())],
            )
            candidates = f"length({tagged.fqn}.ids) > 0 ? tolist({tagged.fqn}.ids) : tolist({by_route})"
            tags = ", ".join(f"{key}={value}" for key, value in selection.tags.items())
            how = f"by the tags {tags} or, when no subnet carries them, by route table"
        else:
            candidates, how = f"tolist({by_route})", "by route table"
        route_rule = "a route to an internet gateway" if kind == "public" else "no route to an internet gateway"
        chosen = TerraformLocal(self, f"{kind}_subnet_candidates", f"${{{candidates}}}")
        # Read once more by id: the precondition stops the plan before an empty or one-zone selection reaches EC2.
        return DataAwsSubnets(
            self,
            f"{kind}_subnets",
            filter=[self._in_vpc, DataAwsSubnetsFilter(name="subnet-id", values=chosen.as_list)],
            lifecycle=TerraformResourceLifecycle(
                precondition=[
                    Precondition(
                        condition=self._spans_zones(chosen.fqn),
                        error_message=(
                            f"The {kind} subnets found in the VPC {how} ({kind}: {route_rule}) are in fewer than "
                            f"{MIN_ZONES} Availability Zones; tag them or set {kind}_subnet_ids in the configuration."
                        ),
                    )
                ]
            ),
        )

    def _spans_zones(self, subnet_ids: str) -> str:
        """A condition: the subnets ``subnet_ids`` (an expression) are in at least MIN_ZONES zones."""
        return f"${{length(distinct([for s in {subnet_ids} : {self._zones.fqn}[s]])) >= {MIN_ZONES}}}"

    def _one_per_zone(self, kind: Kind, subnets: DataAwsSubnets) -> list[str]:
        """The first subnet (by id) of each zone, in zone order."""
        grouped = f"{{for s in {subnets.fqn}.ids : {self._zones.fqn}[s] => s...}}"
        return TerraformLocal(self, f"{kind}_subnets_one_per_zone", f"${{[for zone, ids in {grouped} : sort(ids)[0]]}}").as_list
