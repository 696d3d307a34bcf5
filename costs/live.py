"""Prices from AWS's Price List API (`pipenv run cost --live`): the RDS instance hours and Fargate rates a stack uses.

The Price List Query API answers in us-east-1 (also eu-central-1 and ap-south-1) for every Region
(docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html); GetProducts returns each
product as a JSON string with its attributes and its OnDemand terms (.../price-list-query-api-find-prices.html).
Needs credentials allowed `pricing:GetProducts`. Asked for:

  RDS      AmazonRDS, databaseEngine PostgreSQL, deploymentOption Single-AZ, the class and the Region: USD per hour
  Fargate  AmazonECS, usage types ending Fargate-vCPU-Hours:perCPU / Fargate-GB-Hours, with ARM- for ARM64 and
           SpotUsage- for Fargate Spot, in the Region: USD per vCPU-hour and per GB-hour
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

PRICE_LIST_REGION = "us-east-1"
FARGATE_USAGE = re.compile(r"^(?:[A-Z0-9]+-)?(?P<spot>SpotUsage-)?Fargate-(?P<arm>ARM-)?(?P<dimension>vCPU-Hours:perCPU|GB-Hours)$")
"""A Fargate Linux usage type, e.g. USE1-Fargate-vCPU-Hours:perCPU, EUC1-SpotUsage-Fargate-ARM-GB-Hours (the Region
prefix may be missing: us-east-1's usage types have been published both ways)."""


class Pricing(Protocol):
    def get_paginator(self, operation_name: str) -> Any: ...


@dataclass
class LivePrices:
    """The table with what the Price List API answered put in, what came from it (name -> USD), and what it had no
    single price for. Names: ``RDS <class>`` and ``<capacity provider> <architecture> vcpu_hour|gb_hour``."""

    table: dict[str, Any]
    fetched: dict[str, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def about(self, document: dict[str, Any]) -> tuple[list[str], list[str]]:
        """What came from the API and what it did not answer, of what ``document`` runs (needs)."""
        wanted = needs(document)
        fetched = [f"{name} {usd:g}{'/h' if name.startswith('RDS ') else ''}" for name, usd in self.fetched.items() if name in wanted]
        return fetched, [name for name in self.missing if name in wanted]


def client() -> Pricing:
    """A boto3 `pricing` client in PRICE_LIST_REGION (credentials as the AWS CLI finds them)."""
    import boto3

    pricing: Pricing = boto3.client("pricing", region_name=PRICE_LIST_REGION)
    return pricing


def _on_demand_hourly(document: str) -> list[tuple[dict[str, str], float]]:
    """(the product's attributes, USD per hour) for each OnDemand price dimension of one PriceList entry; nothing for an
    entry of another shape (it then counts as not answered, and the price is named, not guessed)."""
    try:
        product = json.loads(document)
        attributes = product["product"]["attributes"]
        dimensions = [d for term in product["terms"]["OnDemand"].values() for d in term["priceDimensions"].values()]
        prices = [(attributes, float(dimension["pricePerUnit"]["USD"])) for dimension in dimensions]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    return [(attributes, usd) for attributes, usd in prices if usd > 0]


def _products(client: Pricing, service: str, filters: dict[str, str], contains: dict[str, str] | None = None) -> list[str]:
    query = [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in filters.items()]
    query += [{"Type": "CONTAINS", "Field": name, "Value": value} for name, value in (contains or {}).items()]
    pages = client.get_paginator("get_products").paginate(ServiceCode=service, Filters=query, FormatVersion="aws_v1")
    return [document for page in pages for document in page["PriceList"]]


def rds_instance_hour(client: Pricing, region: str, instance_class: str) -> float | None:
    """USD an hour of a Single-AZ RDS for PostgreSQL ``instance_class`` in ``region``; None unless exactly one price."""
    filters = {"regionCode": region, "instanceType": instance_class, "databaseEngine": "PostgreSQL", "deploymentOption": "Single-AZ"}
    prices = {usd for document in _products(client, "AmazonRDS", filters) for _, usd in _on_demand_hourly(document)}
    return prices.pop() if len(prices) == 1 else None


def fargate_rates(client: Pricing, region: str) -> dict[tuple[str, str, str], float]:
    """(FARGATE or FARGATE_SPOT, X86_64 or ARM64, vcpu_hour or gb_hour) -> USD, for the Linux usage types in ``region``."""
    rates: dict[tuple[str, str, str], float] = {}
    for document in _products(client, "AmazonECS", {"regionCode": region}, {"usagetype": "Fargate"}):
        for attributes, usd in _on_demand_hourly(document):
            match = FARGATE_USAGE.match(attributes.get("usagetype", ""))
            if match:
                provider = "FARGATE_SPOT" if match["spot"] else "FARGATE"
                key = (provider, "ARM64" if match["arm"] else "X86_64", "vcpu_hour" if match["dimension"].startswith("vCPU") else "gb_hour")
                rates[key] = usd
    return rates


def instance_classes(document: dict[str, Any]) -> set[str]:
    """The RDS classes a synthesized stack runs: its DB instances and the instances its restore tests make."""
    resources = document.get("resource", {})
    classes = {db["instance_class"] for db in resources.get("aws_db_instance", {}).values()}
    selections = resources.get("aws_backup_restore_testing_selection", {}).values()
    return classes | {s["restore_metadata_overrides"]["dbInstanceClass"] for s in selections}


def fargate_rates_used(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(capacity provider or launch type, CPU architecture, vcpu_hour/gb_hour) of every service a stack runs."""
    resources = document.get("resource", {})
    definitions = {f"${{aws_ecs_task_definition.{name}.arn}}": d for name, d in resources.get("aws_ecs_task_definition", {}).items()}
    used = set()
    for service in resources.get("aws_ecs_service", {}).values():
        arch = definitions[service["task_definition"]]["runtime_platform"]["cpu_architecture"]
        strategy = service.get("capacity_provider_strategy") or [{"capacity_provider": service.get("launch_type", "FARGATE")}]
        used |= {(item["capacity_provider"], arch, dimension) for item in strategy for dimension in ("vcpu_hour", "gb_hour")}
    return used


def needs(document: dict[str, Any]) -> set[str]:
    """The names (LivePrices) of the prices a synthesized stack needs from the API."""
    return {f"RDS {c}" for c in instance_classes(document)} | {" ".join(key) for key in fargate_rates_used(document)}


def refresh(table: dict[str, Any], documents: list[dict[str, Any]], client: Pricing) -> LivePrices:
    """``table`` (a price table, not changed) with the Price List API's prices for the classes ``documents`` run and for
    Fargate in the table's Region, each asked once for all ``documents``; ``missing`` names what the stacks use and the
    API did not answer (the table's price, where it has one, stays). The copy's ``live`` is true."""
    region = table["region"]
    result = LivePrices({**copy.deepcopy(table), "live": True})
    for instance_class in sorted(set().union(*(instance_classes(d) for d in documents))):
        hourly = rds_instance_hour(client, region, instance_class)
        if hourly is None:
            result.missing.append(f"RDS {instance_class}")
        else:
            result.table["rds"]["instance_hour"][instance_class] = hourly
            result.fetched[f"RDS {instance_class}"] = hourly
    rates = fargate_rates(client, region)
    for (provider, arch, dimension), usd in sorted(rates.items()):
        result.table["fargate_spot" if provider == "FARGATE_SPOT" else "fargate"][dimension][arch] = usd
        result.fetched[f"{provider} {arch} {dimension}"] = usd
    used = set().union(*(fargate_rates_used(d) for d in documents))
    result.missing += [" ".join(key) for key in sorted(used - set(rates))]
    return result
