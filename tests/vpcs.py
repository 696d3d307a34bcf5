"""VPCs for the tests of subnet selection, as EC2's API describes them (boto3's shapes): release/preflight.py reads
them so, and `provider_route_tables` gives the same tables as the AWS provider's aws_route_table data source reads
them, for the synthesized Terraform expressions."""

from __future__ import annotations

from typing import Any

VPC = "vpc-0b1c2d3e4f5a60718"


def subnet(subnet_id: str, zone: str, **tags: str) -> dict[str, Any]:
    return {"SubnetId": subnet_id, "AvailabilityZone": zone, "VpcId": VPC, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


# A VPC not built by AWS CDK: no subnet-type tags, so the route tables decide (a, b private; c, d public).
SUBNETS = [subnet("subnet-0000000a", "us-east-1a"), subnet("subnet-0000000b", "us-east-1b"), subnet("subnet-0000000c", "us-east-1a"),
           subnet("subnet-0000000d", "us-east-1b")]  # fmt: skip
ROUTE_TABLES = [
    {"RouteTableId": "rtb-main0001", "Associations": [{"Main": True}], "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}]},
    {"RouteTableId": "rtb-public01", "Associations": [{"SubnetId": "subnet-0000000c"}, {"SubnetId": "subnet-0000000d"}],
     "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123abcd"}]},
    {"RouteTableId": "rtb-privat01", "Associations": [{"SubnetId": "subnet-0000000a"}, {"SubnetId": "subnet-0000000b"}],
     "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0123abcd"}]},
]  # fmt: skip


def provider_route_tables(tables: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Route table id -> the aws_route_table data source's ``associations`` and ``routes`` for it: absent strings are
    "", and the VPC's local route is left out, as the provider reads them."""
    return {
        table["RouteTableId"]: {
            "associations": [
                {"main": bool(a.get("Main")), "subnet_id": a.get("SubnetId", ""), "route_table_id": table["RouteTableId"]}
                for a in table["Associations"]
            ],
            "routes": [
                {"cidr_block": r["DestinationCidrBlock"], "gateway_id": r.get("GatewayId", ""), "nat_gateway_id": r.get("NatGatewayId", "")}
                for r in table["Routes"]
                if r.get("GatewayId") != "local"
            ],
        }
        for table in tables
    }
