"""Monthly cost estimate per environment and resource group, read from the synthesized stacks.

    pipenv run cost                 # after `pipenv run synth`; reads cdktf.out/stacks/wallet-*/cdk.tf.json
    pipenv run cost --azs 3         # interface endpoints are billed per Availability Zone (private subnets)
    pipenv run cost --live          # the RDS classes and Fargate rates from AWS's Price List API (costs/live.py)

Counts come from the Terraform JSON (desired tasks, their size, CPU architecture and capacity provider strategy, the
DB class, Multi-AZ and storage, load balancers, web ACL rules, interface endpoints and the subnets they are in, alarms,
dashboards, KMS keys); prices and the few usage assumptions (LCUs, requests, log volume) from
costs/prices-us-east-1.toml (a DB class it has no price for, or a stack in another Region, is one `not priced` line,
left out of a total marked *). Each environment's assumptions and price sources are printed with it. Not included: data transfer,
endpoint data processing, LCUs above the assumption, backup storage beyond the database's size, Container Insights and
enhanced-monitoring metrics.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costs import live
from release import aws_errors
from stacks.config import ENVIRONMENTS

PROJECT = Path(__file__).resolve().parent.parent
PRICES = PROJECT / "costs" / "prices-us-east-1.toml"


class UnpricedError(Exception):
    """Something the synthesized stack uses that the price table has no price for (one line for the user)."""


@dataclass
class Estimate:
    environment: str
    groups: dict[str, float] = field(default_factory=dict)
    lines: list[tuple[str, str, float]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    """What the estimate assumes that the synthesized stack does not say."""
    unpriced: list[str] = field(default_factory=list)
    """What the stack runs that has no price here: one line each, left out of the total."""
    sources: list[str] = field(default_factory=list)
    """Where the prices came from: the table, and what `--live` asked AWS's Price List API for."""
    estimated: bool = True
    """False: nothing priced (a Region without a table); the tables show n/a."""

    def add(self, group: str, what: str, monthly: float) -> None:
        self.groups[group] = self.groups.get(group, 0.0) + monthly
        self.lines.append((group, what, monthly))

    @property
    def total(self) -> float:
        return sum(self.groups.values())


def _resources(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return list(document.get("resource", {}).get(kind, {}).values())


def _price(table: dict[str, float], key: str, what: str) -> float:
    if key not in table:
        raise UnpricedError(f"{what} {key!r} has no price in {PRICES.relative_to(PROJECT)}; priced: {', '.join(table)}")
    return table[key]


def _instance_hour(prices: dict[str, Any], instance_class: str, result: Estimate) -> float | None:
    """The class's hourly price, or None with one line in ``result.unpriced``: the table prices some of the classes RDS
    offers (stacks/rules.py), and `--live` asks AWS for the one a stack runs."""
    hourly: float | None = prices["rds"]["instance_hour"].get(instance_class)
    if hourly is None:
        line = f"RDS {instance_class}: no price in the table for {prices['region']}; " + (
            "nor a single one from AWS's Price List API"
            if prices.get("live")
            else "`pipenv run cost --live` asks AWS's Price List API (credentials needed)"
        )
        if line not in result.unpriced:
            result.unpriced.append(line)
    return hourly


BOOTSTRAP_COUNT = re.compile(r"^\$\{var\.bootstrap \? 0 : (\d+)\}$")


def desired_count(service: dict[str, Any]) -> int:
    """The service's running task count: a number, or the count after the first deploy's bootstrap."""
    value = service["desired_count"]
    if isinstance(value, int):
        return value
    match = BOOTSTRAP_COUNT.match(str(value))
    if match is None:
        raise UnpricedError(f"desired_count {value!r} is not a number the estimate can read")
    return int(match.group(1))


def task_split(service: dict[str, Any]) -> dict[str, float]:
    """Capacity provider -> tasks of the service's desired count: the base first, the rest by weight (as ECS places
    them; fractions where the weights do not divide the count)."""
    count = desired_count(service)
    strategy = service.get("capacity_provider_strategy")
    if not strategy:
        return {service["launch_type"]: count}
    split = {item["capacity_provider"]: float(min(item.get("base", 0), count)) for item in strategy}
    rest, weights = count - sum(split.values()), sum(item["weight"] for item in strategy)
    for item in strategy:
        split[item["capacity_provider"]] += rest * item["weight"] / weights
    return {provider: tasks for provider, tasks in split.items() if tasks}


def estimate(environment: str, tier: str, document: dict[str, Any], prices: dict[str, Any], azs: int) -> Estimate:
    """``tier`` picks the usage assumptions (requests, log volume) of the price table; ``azs`` is the number of
    Availability Zones of the private subnets, for interface endpoints the stack puts in all of them."""
    hours = prices["hours_per_month"]
    result = Estimate(environment)
    rates = {"FARGATE": prices["fargate"], "FARGATE_SPOT": prices["fargate_spot"]}
    definitions = {f"${{aws_ecs_task_definition.{name}.arn}}": d for name, d in document["resource"]["aws_ecs_task_definition"].items()}
    for service in _resources(document, "aws_ecs_service"):
        task = definitions[service["task_definition"]]
        vcpu, gb, arch = int(task["cpu"]) / 1024, int(task["memory"]) / 1024, task["runtime_platform"]["cpu_architecture"]
        split = task_split(service)
        for provider, tasks in split.items():
            if provider not in rates:
                raise UnpricedError(f"capacity provider or launch type {provider!r} has no price; priced: {', '.join(rates)}")
            rate = rates[provider]
            hourly = vcpu * _price(rate["vcpu_hour"], arch, f"{provider} vCPU of architecture") + gb * _price(
                rate["gb_hour"], arch, f"{provider} memory of architecture"
            )
            result.add("compute", f"{provider}: {tasks:g} x {vcpu:g} vCPU / {gb:g} GB {arch}", tasks * hours * hourly)
        if "FARGATE_SPOT" in split:
            result.assumptions.append("Fargate Spot at the recorded rate; it moves with supply and demand")
    rds = prices["rds"]
    for db in _resources(document, "aws_db_instance"):
        copies = 2 if db["multi_az"] else 1
        instance_hour = _instance_hour(prices, db["instance_class"], result)
        if instance_hour is not None:
            result.add("database", f"RDS {db['instance_class']}{' Multi-AZ' if copies == 2 else ''}", copies * hours * instance_hour)
        result.add("database", f"gp3 storage {db['allocated_storage']} GiB", copies * db["allocated_storage"] * rds["gp3_gb_month"])
        if db.get("manage_master_user_password"):
            result.add("database", "master secret", rds["secret_month"])
    _restore_tests(document, prices, result)
    alb, waf = prices["alb"], prices["waf"]
    for _ in _resources(document, "aws_lb"):
        result.add("edge", f"ALB with {alb['assumed_lcus']} LCU", hours * (alb["hour"] + alb["assumed_lcus"] * alb["lcu_hour"]))
    requests = _price(waf["assumed_million_requests"], tier, "assumed WAF requests of tier")
    for acl in _resources(document, "aws_wafv2_web_acl"):
        monthly = waf["web_acl_month"] + len(acl["rule"]) * waf["rule_month"] + requests * waf["requests_million"]
        result.add("edge", f"WAF, {len(acl['rule'])} rules, {requests:g} M requests (assumed)", monthly)
    interface = [e for e in _resources(document, "aws_vpc_endpoint") if e["vpc_endpoint_type"] == "Interface"]
    for zones, endpoints in Counter(_endpoint_azs(e, azs) for e in interface).items():
        monthly = endpoints * zones * hours * prices["endpoints"]["interface_az_hour"]
        result.add("network", f"{endpoints} interface endpoints x {zones} AZ{'s' if zones > 1 else ''}", monthly)
    if any(isinstance(e["subnet_ids"], str) for e in interface):
        result.assumptions.append(f"interface endpoints in every AZ of the private subnets: {azs} AZs (--azs)")
    obs = prices["observability"]
    # A metric math alarm is billed for each metric it reads (aws.amazon.com/cloudwatch/pricing).
    alarm_metrics = sum(
        sum("metric" in query for query in alarm.get("metric_query", [])) or 1
        for alarm in _resources(document, "aws_cloudwatch_metric_alarm")
    )
    dashboards, keys = (len(_resources(document, kind)) for kind in ("aws_cloudwatch_dashboard", "aws_kms_key"))
    result.add("observability", f"{alarm_metrics} alarm metrics", alarm_metrics * obs["alarm_month"])
    result.add("observability", f"{dashboards} dashboard", dashboards * obs["dashboard_month"])
    result.add("observability", f"{keys} KMS keys", keys * obs["kms_key_month"])
    logs_gb = _price(obs["logs_ingested_gb"], tier, "assumed log volume of tier")
    result.add("observability", f"logs, {logs_gb} GB ingested (assumed)", logs_gb * obs["logs_gb_ingested_price"])
    result.assumptions.append(f"{tier} usage: {requests:g} M requests, {logs_gb} GB of logs, {alb['assumed_lcus']} LCU a month")
    return result


def _restore_tests(document: dict[str, Any], prices: dict[str, Any], result: Estimate) -> None:
    """Each restore test keeps a restored instance (its class from the restore metadata, its storage the database's)
    for the selection's validation window, as often as its plan's schedule fires. RDS bills the instance and storage
    while they exist; AWS Backup's own charge per restore test is not in the table and is named instead."""
    plans = {
        f"${{aws_backup_restore_testing_plan.{name}.name}}": plan
        for name, plan in document["resource"].get("aws_backup_restore_testing_plan", {}).items()
    }
    instances = {f"${{aws_db_instance.{name}.arn}}": db for name, db in document["resource"].get("aws_db_instance", {}).items()}
    for selection in _resources(document, "aws_backup_restore_testing_selection"):
        schedule = plans[selection["restore_testing_plan_name"]]["schedule_expression"]
        runs, hours = runs_per_month(schedule), selection["validation_window_hours"]
        if runs is None:
            result.assumptions.append(f"restore tests not priced: the schedule {schedule!r} is not one the estimate counts")
            continue
        instance_class = selection["restore_metadata_overrides"]["dbInstanceClass"]
        storage = sum(instances[arn]["allocated_storage"] for arn in selection["protected_resource_arns"])
        instance_hour = _instance_hour(prices, instance_class, result)
        if instance_hour is None:
            continue
        hourly = instance_hour + storage * prices["rds"]["gp3_gb_month"] / prices["hours_per_month"]
        result.add("database", f"restore tests, {runs:.3g} a month x {hours} h {instance_class}", runs * hours * hourly)
        result.assumptions.append(
            "restore tests: AWS Backup's charge per restore test is not in the price table (aws.amazon.com/backup/pricing)"
        )


CRON_NAMES = {
    "month": {
        name: number for number, name in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
    },
    "day-of-week": {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)},
}
MONTH_DAYS = (31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""Days of each month, February over four years."""


def _cron_values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """The values a cron field takes (*, numbers, names, lists, ranges, steps); None for what this count does not read
    (L, W, #), a step of 0, a value out of ``low``-``high`` or a range that runs backwards."""
    values: set[int] = set()
    for item in field.split(","):
        span, _, step = item.partition("/")
        bounds = [low, high] if span == "*" else [(names or {}).get(part.upper(), part) for part in span.split("-")]
        if not all(str(bound).isdigit() for bound in bounds) or len(bounds) > 2 or (step and not step.isdigit()) or step == "0":
            return None
        first, last = int(bounds[0]), int(bounds[-1])
        if step and len(bounds) == 1:
            last = high  # a/n: from a to the field's end
        if not low <= first <= last <= high:
            return None
        values.update(range(first, last + 1, int(step or 1)))
    return values


def runs_per_month(schedule: str) -> float | None:
    """How often ``cron(minutes hours day-of-month month day-of-week year)`` fires in an average month (AWS's cron
    fields: docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html), or None where it uses
    what this count does not read (L, W, #, a year other than *). cron(0 7 ? * MON *): 4.35."""
    match = re.fullmatch(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)", schedule)
    if match is None or match.group(6) != "*" or [match.group(3), match.group(5)].count("?") != 1:
        return None
    minutes, hours, day_of_month, month, day_of_week, _ = match.groups()
    fields = (
        _cron_values(minutes, 0, 59),
        _cron_values(hours, 0, 23),
        _cron_values(month, 1, 12, CRON_NAMES["month"]),
        {0} if day_of_month == "?" else _cron_values(day_of_month, 1, 31),
        {0} if day_of_week == "?" else _cron_values(day_of_week, 1, 7, CRON_NAMES["day-of-week"]),
    )
    if any(values is None for values in fields):
        return None
    minute_values, hour_values, months, month_days, weekdays = (values or set() for values in fields)

    def days(month_number: int) -> float:
        length = MONTH_DAYS[month_number - 1]
        if day_of_month == "?":
            return len(weekdays) * length / 7
        return sum(min(1.0, max(0.0, length - day + 1)) for day in month_days)  # day 29 is in 1 February of 4

    return len(minute_values) * len(hour_values) * sum(days(month_number) for month_number in months) / 12


def _endpoint_azs(endpoint: dict[str, Any], azs: int) -> int:
    """An endpoint's billed AZs: its subnets when the JSON lists them, else (a reference to the private subnets, one per
    AZ) ``azs``."""
    return len(endpoint["subnet_ids"]) if isinstance(endpoint["subnet_ids"], list) else azs


def stack_region(document: dict[str, Any]) -> str:
    """The Region of the stack's default AWS provider (the one without an alias)."""
    return str(next(provider["region"] for provider in document["provider"]["aws"] if "alias" not in provider))


def estimate_all(outdir: Path, azs: int = 2, pricing: live.Pricing | None = None) -> list[Estimate]:
    """Every environment of the table, in its order, from the synthesized stacks in ``outdir``, priced with the table of
    the stack's Region. With ``pricing`` (a boto3 `pricing` client), the RDS classes the stack runs and the Fargate rates
    come from AWS's Price List API (costs/live.py). A Region without a table gets no estimate, one line instead."""
    table = tomllib.loads(PRICES.read_text())
    documents = {}
    for environment in ENVIRONMENTS:
        path = outdir / "stacks" / environment.stack_name / "cdk.tf.json"
        if not path.exists():
            raise FileNotFoundError(f"{path}: not found; run `pipenv run synth` first")
        documents[environment.stack_name] = json.loads(path.read_text())
    priced = [document for document in documents.values() if stack_region(document) == table["region"]]
    answered = live.refresh(table, priced, pricing) if pricing is not None and priced else None
    estimates = []
    for environment in ENVIRONMENTS:
        document = documents[environment.stack_name]
        region = stack_region(document)
        if region != table["region"]:
            result = Estimate(environment.environment, estimated=False)
            result.unpriced.append(f"{region}: no price table (the one there is {PRICES.relative_to(PROJECT)}); not estimated")
            estimates.append(result)
            continue
        prices, sources = table, [f"{PRICES.relative_to(PROJECT)} (checked {table['checked']})"]
        if answered is not None:
            prices = answered.table
            fetched, missing = answered.about(document)
            sources.append(f"AWS's Price List API: {', '.join(fetched) or 'nothing'}")
            if missing:
                sources.append(f"AWS's Price List API had no single price for: {', '.join(missing)} (the table's, where it has one)")
        try:
            result = estimate(environment.environment, environment.tier, document, prices, azs)
        except UnpricedError as error:
            raise UnpricedError(f"{environment.stack_name}: {error}") from None
        result.sources = sources
        estimates.append(result)
    return estimates


def _cell(estimate: Estimate, group: str | None = None) -> str:
    """A group's figure, or (None) the total, of the tables: n/a where nothing was estimated, * on a total that leaves
    out what has no price."""
    if not estimate.estimated:
        return "n/a"
    if group is not None:
        return f"{estimate.groups.get(group, 0.0):.2f}"
    return f"{estimate.total:.2f}{'*' if estimate.unpriced else ''}"


def markdown(estimates: list[Estimate]) -> str:
    """docs/cost.md's table: USD a month per group and environment."""
    rows = ["| group | " + " | ".join(e.environment for e in estimates) + " |", "|---|" + "---|" * len(estimates)]
    for group in dict.fromkeys(group for e in estimates for group in e.groups):
        rows.append(f"| {group} | " + " | ".join(_cell(e, group) for e in estimates) + " |")
    rows.append("| **total, USD a month** | " + " | ".join(f"**{_cell(e)}**" for e in estimates) + " |")
    return "\n".join(rows)


SYNTH_INPUTS = ("cdktf.json", "main.py", "stacks", "constructs_lib")
"""What a synthesis reads: the context and the code (relative to the project)."""


def newer_input(outdir: Path, project: Path = PROJECT) -> Path | None:
    """The newest of SYNTH_INPUTS when it changed after the oldest synthesized stack in ``outdir``: the estimate would
    price what was, not what is. None when the output is current (or absent)."""
    outputs = [path.stat().st_mtime for path in (outdir / "stacks").glob("*/cdk.tf.json")]
    inputs = [
        path for name in SYNTH_INPUTS for path in ([project / name] if name.endswith((".json", ".py")) else (project / name).rglob("*.py"))
    ]
    existing = [path for path in inputs if path.exists()]
    if not outputs or not existing:
        return None
    newest = max(existing, key=lambda path: path.stat().st_mtime)
    return newest if newest.stat().st_mtime > min(outputs) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", type=Path, default=PROJECT / "cdktf.out", help="synthesized output (default: cdktf.out)")
    parser.add_argument("--azs", type=int, default=2, help="Availability Zones of the private subnets (default: 2)")
    parser.add_argument(
        "--live", action="store_true", help="ask AWS's Price List API for the RDS and Fargate prices (credentials with pricing:GetProducts)"
    )
    args = parser.parse_args(argv)
    if args.azs < 1:
        print(f"error: --azs: {args.azs} is not valid; expected 1 or more", file=sys.stderr)
        return 2
    estimates: list[Estimate] = []

    def run() -> int:
        pricing = live.client() if args.live else None
        estimates.extend(estimate_all(args.outdir, args.azs, pricing))
        return 0

    try:
        status = aws_errors.guarded(
            "cost --live: Price List API GetProducts", live.PRICE_LIST_REGION, run, report=lambda line: print(line, file=sys.stderr)
        )
    except (FileNotFoundError, UnpricedError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if status:
        return status
    stale = newer_input(args.outdir)
    if stale is not None:
        print(
            f"warning: {stale.relative_to(PROJECT)} changed after {args.outdir} was synthesized: this prices the stacks as they were; "
            "run `pipenv run synth` first for what you have now",
            file=sys.stderr,
        )
    print("Monthly estimate, USD; a total marked * leaves out what has no price (listed under its environment)\n")
    groups = list(dict.fromkeys(group for e in estimates for group in e.groups))
    print(f"{'group':16}" + "".join(f"{e.environment:>10}" for e in estimates))
    for group in groups:
        print(f"{group:16}" + "".join(f"{_cell(e, group):>10}" for e in estimates))
    print(f"{'total':16}" + "".join(f"{_cell(e):>10}" for e in estimates))
    for e in estimates:
        print(f"\n{e.environment}:")
        for group, what, monthly in e.lines:
            print(f"  {group:14} {what:44} {monthly:>8.2f}")
        for assumption in e.assumptions:
            print(f"  assumed: {assumption}")
        for line in e.unpriced:
            print(f"  not priced: {line}")
        for source in e.sources:
            print(f"  prices: {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
