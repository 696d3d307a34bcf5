"""VpcEndpoints, ServiceAutoscaling and the firewall helpers alone."""

from __future__ import annotations

import json

import pytest
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from constructs_lib.autoscaling import ServiceAutoscaling, ServiceAutoscalingProps
from constructs_lib.firewall import Peer
from constructs_lib.vpc_endpoints import VpcEndpoints, VpcEndpointsProps
from tests.helpers import bare_stack, resources


def test_endpoints_in_the_given_region_admit_only_granted_groups() -> None:
    stack = bare_stack()
    endpoints = VpcEndpoints(
        stack,
        "endpoints",
        props=VpcEndpointsProps(
            name="example", region="eu-west-1", vpc_id="vpc-12345678", subnet_ids=["subnet-1"], route_table_ids=["rtb-1"]
        ),
    )
    endpoints.allow_from("app", security_group_id="sg-0123456789abcdef0", description="From the app")
    text = CdktfTesting.synth(stack)
    names = sorted(e["service_name"] for e in resources(json.loads(text), "aws_vpc_endpoint").values())
    assert names == [f"com.amazonaws.eu-west-1.{s}" for s in ("ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager")]
    assert CdktfTesting.to_have_resource_with_properties(
        text, VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE, {"referenced_security_group_id": "sg-0123456789abcdef0", "from_port": 443}
    )


def test_endpoints_in_fewer_azs_take_the_first_subnets_by_id() -> None:
    stack = bare_stack()
    VpcEndpoints(
        stack,
        "endpoints",
        props=VpcEndpointsProps(
            name="example", region="eu-west-1", vpc_id="vpc-12345678", subnet_ids=["subnet-2", "subnet-1", "subnet-3"],
            route_table_ids=["rtb-1"], az_count=2,
        ),
    )  # fmt: skip
    endpoints = resources(json.loads(CdktfTesting.synth(stack)), "aws_vpc_endpoint")
    for endpoint in endpoints.values():
        if endpoint["vpc_endpoint_type"] == "Gateway":
            continue
        assert endpoint["subnet_ids"] == [
            '${element(sort(["subnet-2", "subnet-1", "subnet-3"]), 0)}',
            '${element(sort(["subnet-2", "subnet-1", "subnet-3"]), 1)}',
        ]
        [check] = endpoint["lifecycle"]["precondition"]
        assert check["error_message"] == "vpc_endpoint_azs is 2, more than the Availability Zones of the VPC's private subnets."


def test_autoscaling_targets_are_configurable() -> None:
    stack = bare_stack()
    ServiceAutoscaling(
        stack,
        "scaling",
        props=ServiceAutoscalingProps(cluster_name="c", service_name="s", min_capacity=1, max_capacity=3, cpu_target_percent=50),
    )
    assert CdktfTesting.to_have_resource_with_properties(
        CdktfTesting.synth(stack),
        AppautoscalingPolicy.TF_RESOURCE_TYPE,
        {"name": "s-cpu", "target_tracking_scaling_policy_configuration": {"target_value": 50}},
    )


def test_autoscaling_replaced_by_what_it_is_given() -> None:
    stack = bare_stack()
    ServiceAutoscaling(stack, "scaling", props=ServiceAutoscalingProps(cluster_name="c", service_name="s", min_capacity=1, max_capacity=3))
    ServiceAutoscaling(
        stack,
        "tied",
        props=ServiceAutoscalingProps(
            cluster_name="c", service_name="t", min_capacity=1, max_capacity=3, replace_triggered_by=("aws_ecs_service.x.id",)
        ),
    )
    document = json.loads(CdktfTesting.synth(stack))
    scaling = {**resources(document, "aws_appautoscaling_target"), **resources(document, "aws_appautoscaling_policy")}
    # The bare stack's ids end in a hash: "tied_cpu_53740EEF".
    assert {name.rsplit("_", 1)[0]: resource.get("lifecycle") for name, resource in scaling.items()} == {
        "scaling_target": None,
        "scaling_cpu": None,
        "scaling_memory": None,
        "tied_target": {"replace_triggered_by": ["aws_ecs_service.x.id"]},
        "tied_cpu": {"replace_triggered_by": ["aws_ecs_service.x.id"]},
        "tied_memory": {"replace_triggered_by": ["aws_ecs_service.x.id"]},
    }


def test_autoscaling_refuses_min_above_max() -> None:
    with pytest.raises(ValueError, match="expected 1 <= min_capacity <= max_capacity, got 3 and 2"):
        ServiceAutoscaling(
            bare_stack(), "scaling", props=ServiceAutoscalingProps(cluster_name="c", service_name="s", min_capacity=3, max_capacity=2)
        )


@pytest.mark.parametrize("peer", [{}, {"cidr": "0.0.0.0/0", "security_group_id": "sg-1"}])
def test_a_peer_is_exactly_one_thing(peer: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        Peer(**peer)


def test_peer_cidr_family() -> None:
    assert (Peer(cidr="10.0.0.0/8").cidr_ipv4, Peer(cidr="10.0.0.0/8").cidr_ipv6) == ("10.0.0.0/8", None)
    assert (Peer(cidr="::/0").cidr_ipv4, Peer(cidr="::/0").cidr_ipv6) == (None, "::/0")
