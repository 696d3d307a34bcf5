"""The cost estimate reads the synthesized stacks: counts from the JSON, prices from the table."""

from __future__ import annotations

import copy
import json
import os
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber

from costs import estimate, live
from stacks import config, reference, rules
from tests.conftest import Build
from tests.expected import EXPECTED

PRICES = tomllib.loads(estimate.PRICES.read_text())


ON_DEMAND_TASK = 730 * (0.25 * 0.04048 + 0.5 * 0.004445)  # a month of 0.25 vCPU / 0.5 GB, X86_64
SPOT_TASK = 730 * (0.25 * 0.01334053 + 0.5 * 0.00146489)


def test_dev_by_hand(parsed: dict[str, dict[str, Any]]) -> None:
    dev = estimate.estimate("dev", "development", parsed["wallet-dev"], PRICES, azs=2)
    assert dev.groups == pytest.approx(
        {
            "compute": 1 * SPOT_TASK,  # all Spot
            "database": 730 * 0.018 + 20 * 0.115 + 0.40,
            "edge": 730 * (0.0225 + 0.008) + 5.00 + 4 * 1.00 + 0.1 * 0.60,
            "network": 5 * 1 * 730 * 0.01,  # with dev's ECS Exec endpoint, in the one AZ its JSON lists (not azs=2)
            # 12 one-metric alarms, and the rollback alarms over one target group: 5xx rate (requests, errors), p99 and
            # unhealthy hosts (a metric math alarm is billed per metric); keys: logs, alarms, database
            "observability": (12 + 2 + 1 + 1) * 0.10 + 3.00 + 3 * 1.00 + 1 * 0.50,
        }
    )
    assert "Fargate Spot at the recorded rate; it moves with supply and demand" in dev.assumptions


def test_staging_runs_one_task_on_demand_and_the_rest_on_spot(parsed: dict[str, dict[str, Any]]) -> None:
    staging = estimate.estimate("staging", "pre-production", parsed["wallet-staging"], PRICES, azs=2)
    compute = {what: monthly for group, what, monthly in staging.lines if group == "compute"}
    assert compute == pytest.approx(
        {"FARGATE: 1 x 0.25 vCPU / 0.5 GB X86_64": ON_DEMAND_TASK, "FARGATE_SPOT: 1 x 0.25 vCPU / 0.5 GB X86_64": SPOT_TASK}
    )
    assert staging.groups["network"] == pytest.approx(4 * 2 * 730 * 0.01)
    assert "interface endpoints in every AZ of the private subnets: 2 AZs (--azs)" in staging.assumptions


def test_defaults_meet_the_budget_and_each_saving_comes_from_the_json(defaults_build: Build) -> None:
    """dev at most 95 USD a month and staging below 148.72 (the estimates before Spot and per-environment endpoint
    AZs), with the rate-based rollback alarms that came after (3 more alarm metrics in dev, 7 in staging); prod's
    compute and network unchanged (its total grew with the rollback alarms and the backup vaults' keys). Putting
    dev's service back on the launch type and its endpoints back in every subnet, in the JSON alone, gives dev's
    136.98 of then plus those alarms again."""
    by_name = {e.environment: e for e in estimate.estimate_all(defaults_build.outdir)}
    dev, staging, prod = by_name["dev"], by_name["staging"], by_name["prod"]
    assert dev.total <= 95
    assert staging.total < 148.72
    assert (prod.groups["compute"], prod.groups["network"]) == pytest.approx((18.02, 58.40), abs=0.005)
    document = json.loads(json.dumps(defaults_build.parsed["wallet-dev"]))
    [service] = document["resource"]["aws_ecs_service"].values()
    del service["capacity_provider_strategy"]
    service["launch_type"] = "FARGATE"
    for endpoint in document["resource"]["aws_vpc_endpoint"].values():
        if endpoint["vpc_endpoint_type"] == "Interface":
            endpoint["subnet_ids"] = "${local.network_private_subnets_one_per_zone}"
    assert estimate.estimate("dev", "development", document, PRICES, azs=2).total == pytest.approx(136.98 + 3 * 0.10, abs=0.01)


def test_arm64_is_priced_and_arm64_on_spot_is_not(parsed: dict[str, dict[str, Any]]) -> None:
    document = json.loads(json.dumps(parsed["wallet-prod"]))
    for definition in document["resource"]["aws_ecs_task_definition"].values():
        definition["runtime_platform"]["cpu_architecture"] = "ARM64"
    prod = estimate.estimate("prod", "production", document, PRICES, azs=2)
    assert prod.groups["compute"] == pytest.approx(2 * 730 * (0.25 * 0.03238 + 0.5 * 0.00356))
    [service] = document["resource"]["aws_ecs_service"].values()
    service["capacity_provider_strategy"] = [{"capacity_provider": "FARGATE_SPOT", "weight": 100}]
    with pytest.raises(estimate.UnpricedError) as raised:
        estimate.estimate("prod", "production", document, PRICES, azs=2)
    assert str(raised.value) == ("FARGATE_SPOT vCPU of architecture 'ARM64' has no price in costs/prices-us-east-1.toml; priced: X86_64")


@pytest.mark.parametrize(
    ("desired", "strategy", "split"),
    [
        (3, [{"capacity_provider": "FARGATE", "base": 1, "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 1}],
         {"FARGATE": 2, "FARGATE_SPOT": 1}),
        (1, [{"capacity_provider": "FARGATE", "base": 2, "weight": 0}, {"capacity_provider": "FARGATE_SPOT", "weight": 100}],
         {"FARGATE": 1}),
        (4, [{"capacity_provider": "FARGATE_SPOT", "weight": 100}], {"FARGATE_SPOT": 4}),
        (5, [{"capacity_provider": "FARGATE", "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 3}],
         {"FARGATE": 1.25, "FARGATE_SPOT": 3.75}),
    ],
    ids=["base-then-even", "base-above-desired", "all-spot", "fractions"],
)  # fmt: skip
def test_tasks_split_as_ecs_places_them(desired: int, strategy: list[dict[str, Any]], split: dict[str, float]) -> None:
    assert estimate.task_split({"desired_count": desired, "capacity_provider_strategy": strategy}) == split


def test_prod_pays_twice_for_multi_az(parsed: dict[str, dict[str, Any]]) -> None:
    prod = estimate.estimate("prod", "production", parsed["wallet-prod"], PRICES, azs=3)
    database = {what: monthly for group, what, monthly in prod.lines if group == "database"}
    assert database["RDS db.t3.small Multi-AZ"] == pytest.approx(2 * 730 * 0.036)
    assert database["gp3 storage 100 GiB"] == pytest.approx(2 * 100 * 0.115)
    assert prod.groups["network"] == pytest.approx(4 * 3 * 730 * 0.01)
    assert prod.groups["compute"] == pytest.approx(2 * ON_DEMAND_TASK)


def test_prod_pays_for_its_restore_tests_by_the_hour(parsed: dict[str, dict[str, Any]]) -> None:
    """Mondays (365.25 / 12 / 7 a month), 4 hours of a db.t4g.micro holding the 100 GiB of the database; AWS Backup's
    own charge per test is named, not priced."""
    prod = estimate.estimate("prod", "production", parsed["wallet-prod"], PRICES, azs=2)
    database = {what: monthly for group, what, monthly in prod.lines if group == "database"}
    assert database["restore tests, 4.35 a month x 4 h db.t4g.micro"] == pytest.approx(30.4375 / 7 * 4 * (0.016 + 100 * 0.115 / 730))
    assert (
        "restore tests: AWS Backup's charge per restore test is not in the price table (aws.amazon.com/backup/pricing)" in prod.assumptions
    )
    staging = estimate.estimate("staging", "pre-production", parsed["wallet-staging"], PRICES, azs=2)
    assert not [what for _, what, _ in staging.lines if what.startswith("restore tests")]


@pytest.mark.parametrize(
    ("schedule", "runs"),
    [
        ("cron(0 7 ? * MON *)", 30.4375 / 7),
        ("cron(30 2 1 * ? *)", 1),
        ("cron(0 5 ? * * *)", 30.4375),
        ("cron(0 */6 ? * MON-FRI *)", 4 * 5 * 30.4375 / 7),
        ("cron(0 7 1,15 JAN,JUL ? *)", 2 * 2 / 12),
        ("cron(5/20 7 ? * MON *)", 3 * 30.4375 / 7),  # minutes 5, 25, 45
        ("cron(0 7 31 * ? *)", 7 / 12),  # seven months have a 31st
        ("cron(0 7 29-31 * ? *)", (12 * 3 - 5 - 1 - 0.75) / 12),  # no 31st in 5 months, no 30th in February, its 29th 1 year in 4
        ("cron(0 7 30 2 ? *)", 0),
        ("cron(0 7 L * ? *)", None),  # the last day of the month: not counted
        ("cron(0 7 ? * 2#1 *)", None),
        ("cron(0 7 ? * MON 2027)", None),  # one year only
        ("cron(0 7 ? * FRI-MON *)", None),  # a range backwards
        ("cron(0/0 7 ? * MON *)", None),
        ("cron(0 7 * * MON *)", None),  # both day fields set: AWS refuses it
        ("rate(7 days)", None),
    ],
)
def test_restore_test_runs_a_month_from_the_cron_fields(schedule: str, runs: float | None) -> None:
    assert estimate.runs_per_month(schedule) == (None if runs is None else pytest.approx(runs))


def test_usage_assumptions_and_classes_cover_the_environment_table() -> None:
    """Every tier has its assumptions and every default class its price, so a new environment is priced."""
    assert set(PRICES["waf"]["assumed_million_requests"]) == set(PRICES["observability"]["logs_ingested_gb"]) == set(config.TIERS)
    assert {c.db_instance_class for c in config.ENVIRONMENTS} <= set(PRICES["rds"]["instance_hour"])
    assert {c.restore_testing_db_instance_class for c in config.ENVIRONMENTS if c.restore_testing} <= set(PRICES["rds"]["instance_hour"])


def table_rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.startswith(("group", "total"))]


def test_command_prints_every_environment(effective_build: Build, capsys: pytest.CaptureFixture[str]) -> None:
    """The configuration the user deploys (cdktf.json) is priced, every environment in table order."""
    assert estimate.main(["--outdir", str(effective_build.outdir)]) == 0
    out = capsys.readouterr().out
    header, total = table_rows(out)
    assert header == ["group", *(c.environment for c in config.ENVIRONMENTS)]
    # *: leaves out what has no price; n/a: a Region without a table (named under the environment)
    assert total[0] == "total" and all(value == "n/a" or float(value.rstrip("*")) > 0 for value in total[1:])
    estimated = {e.environment for e in estimate.estimate_all(effective_build.outdir) if e.estimated}
    for tier in {c.tier for c in config.ENVIRONMENTS if c.environment in estimated}:  # each one's usage assumptions
        assert f"  assumed: {tier} usage: " in out


def copy_of(build: Build, tmp_path: Path, stack: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """``build``'s synthesized stacks in ``tmp_path``, with ``change`` made to ``stack``'s JSON."""
    shutil.copytree(build.outdir / "stacks", tmp_path / "stacks")
    path = tmp_path / "stacks" / stack / "cdk.tf.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return tmp_path


def test_an_unpriced_instance_class_is_one_line_not_an_exit(
    defaults_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A class the table has no price for: the estimate goes on without it, its total marked, the class named once."""

    def unpriced_class(document: dict[str, Any]) -> None:
        document["resource"]["aws_db_instance"]["database_instance"]["instance_class"] = "db.x9z.huge"

    assert estimate.main(["--outdir", str(copy_of(defaults_build, tmp_path, "wallet-prod", unpriced_class))]) == 0
    out = capsys.readouterr().out
    not_priced = [line for line in out.splitlines() if "not priced" in line]
    assert not_priced == [
        "  not priced: RDS db.x9z.huge: no price in the table for us-east-1; `pipenv run cost --live` asks AWS's Price List API "
        "(credentials needed)"
    ]
    totals = table_rows(out)[1][1:]
    assert [value.endswith("*") for value in totals] == [c.stack_name == "wallet-prod" for c in config.ENVIRONMENTS]
    assert "RDS db.x9z.huge" not in out.split("not priced")[0]  # no database line for it


def test_a_region_without_a_price_table_is_named_in_one_line(
    defaults_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def in_eu_west_1(document: dict[str, Any]) -> None:
        document["provider"]["aws"][0]["region"] = "eu-west-1"

    outdir = copy_of(defaults_build, tmp_path, "wallet-dev", in_eu_west_1)
    assert estimate.main(["--outdir", str(outdir)]) == 0
    out = capsys.readouterr().out
    for row in table_rows(out)[1:]:  # dev's column: not a price of 0
        assert row[1:][[c.stack_name for c in config.ENVIRONMENTS].index("wallet-dev")] == "n/a"
    assert "| **n/a** |" in estimate.markdown(estimate.estimate_all(outdir))
    dev = out.split("\ndev:\n")[1].split("\n\n")[0]
    assert dev == "  not priced: eu-west-1: no price table (the one there is costs/prices-us-east-1.toml); not estimated"
    others = [e for e in estimate.estimate_all(outdir) if e.environment != "dev"]
    assert others and all(e.total > 0 and not e.unpriced for e in others)


def test_every_price_in_the_table_is_for_a_class_rds_offers() -> None:
    """The table prices classes of the list the configuration accepts (stacks/rules.py), nothing else."""
    assert set(PRICES["rds"]["instance_hour"]) <= rules.RDS_POSTGRESQL_CLASSES


# The Price List API's answers in these tests are made up (0.5, 0.25, ...): they show where a price comes from, they
# are not AWS's prices.
def price_list_entry(attributes: dict[str, str], usd: str) -> str:
    """One PriceList entry of GetProducts, in the shape AWS documents (price-list-query-api-find-prices.html)."""
    return json.dumps(
        {
            "product": {"productFamily": "Database Instance", "attributes": attributes, "sku": "SKU1"},
            "serviceCode": "AmazonRDS",
            "terms": {
                "OnDemand": {
                    "SKU1.JRTCKXETXF": {"priceDimensions": {"SKU1.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}
                }
            },
        }
    )


def rds_request(region: str, instance_class: str) -> dict[str, Any]:
    filters = {"regionCode": region, "instanceType": instance_class, "databaseEngine": "PostgreSQL", "deploymentOption": "Single-AZ"}
    return {
        "ServiceCode": "AmazonRDS",
        "Filters": [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in filters.items()],
        "FormatVersion": "aws_v1",
    }


FARGATE_REQUEST = {
    "ServiceCode": "AmazonECS",
    "Filters": [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
        {"Type": "CONTAINS", "Field": "usagetype", "Value": "Fargate"},
    ],
    "FormatVersion": "aws_v1",
}
FARGATE_ANSWER = [
    price_list_entry({"usagetype": "USE1-Fargate-vCPU-Hours:perCPU"}, "0.5"),
    price_list_entry({"usagetype": "USE1-Fargate-GB-Hours"}, "0.25"),
    price_list_entry({"usagetype": "USE1-Fargate-ARM-vCPU-Hours:perCPU"}, "0.4"),
    price_list_entry({"usagetype": "USE1-SpotUsage-Fargate-vCPU-Hours:perCPU"}, "0.125"),
    price_list_entry({"usagetype": "USE1-Fargate-Windows-vCPU-Hours:perCPU"}, "9"),  # not Linux: not read
    price_list_entry({"usagetype": "USE1-Fargate-EphemeralStorage-GB-Hours"}, "7"),  # not a task size: not read
]


def stubbed_pricing() -> tuple[Any, Stubber]:
    client = botocore.session.get_session().create_client(
        "pricing", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    return client, Stubber(client)


def answer_every_stack(stubber: Stubber, outdir: Path, prices: Callable[[str], list[str]]) -> None:
    """The Price List API's answers, in the order estimate_all asks: each class any environment runs once, in order,
    then Fargate once. A second question would find no answer: the Stubber fails it."""
    documents = [json.loads((outdir / "stacks" / c.stack_name / "cdk.tf.json").read_text()) for c in config.ENVIRONMENTS]
    for instance_class in sorted(set().union(*(live.instance_classes(document) for document in documents))):
        answer = [price_list_entry({"instanceType": instance_class}, usd) for usd in prices(instance_class)]
        stubber.add_response("get_products", {"PriceList": answer}, rds_request("us-east-1", instance_class))
    stubber.add_response("get_products", {"PriceList": FARGATE_ANSWER}, FARGATE_REQUEST)


def test_a_class_without_a_live_price_is_named_and_keeps_the_tables(defaults_build: Build) -> None:
    """The API answers two prices for every class (ambiguous): the table's prices stay, and the sources say so."""
    client, stubber = stubbed_pricing()
    answer_every_stack(stubber, defaults_build.outdir, lambda instance_class: ["0.5", "0.75"])
    with stubber:
        estimates = estimate.estimate_all(defaults_build.outdir, pricing=client)
    for e in estimates:
        assert not e.unpriced  # the defaults' classes have table prices
        assert e.sources[2].startswith("AWS's Price List API had no single price for: RDS db.")
    assert estimate.markdown(estimates) != estimate.markdown(estimate.estimate_all(defaults_build.outdir))  # Fargate's answers


def test_live_prices_come_from_the_price_list_api_and_say_so(defaults_build: Build, tmp_path: Path) -> None:
    """--live: each class the stack runs (the instance, the restore test's) and the Fargate rates are asked for in the
    stack's Region; the estimate uses the answers, and names them as the Price List API's."""

    def on_m7g(document: dict[str, Any]) -> None:
        document["resource"]["aws_db_instance"]["database_instance"]["instance_class"] = "db.m7g.large"

    outdir = copy_of(defaults_build, tmp_path, "wallet-prod", on_m7g)
    client, stubber = stubbed_pricing()
    answer_every_stack(stubber, outdir, lambda instance_class: ["0.5" if instance_class == "db.m7g.large" else "0.0625"])
    with stubber:
        estimates = {e.environment: e for e in estimate.estimate_all(outdir, pricing=client)}
    stubber.assert_no_pending_responses()
    prod = estimates["prod"]
    assert not prod.unpriced
    assert ("database", "RDS db.m7g.large Multi-AZ", 2 * 730 * 0.5) in prod.lines
    assert prod.sources[0].startswith("costs/prices-us-east-1.toml (checked ")
    assert prod.sources[1] == (  # what prod runs: its class, the restore tests' class, on-demand X86_64 Fargate
        "AWS's Price List API: RDS db.m7g.large 0.5/h, RDS db.t4g.micro 0.0625/h, FARGATE X86_64 gb_hour 0.25, FARGATE X86_64 vcpu_hour 0.5"
    )
    answered = copy.deepcopy(PRICES)  # the table with the answers put in by hand
    answered["fargate"]["vcpu_hour"] |= {"X86_64": 0.5, "ARM64": 0.4}
    answered["fargate"]["gb_hour"]["X86_64"] = 0.25
    answered["fargate_spot"]["vcpu_hour"]["X86_64"] = 0.125
    for c in config.ENVIRONMENTS:
        document = json.loads((outdir / "stacks" / c.stack_name / "cdk.tf.json").read_text())
        answered["rds"]["instance_hour"] = {k: 0.5 if k == "db.m7g.large" else 0.0625 for k in live.instance_classes(document)}
        by_hand = estimate.estimate(c.environment, c.tier, document, answered, azs=2)
        assert estimates[c.environment].groups == by_hand.groups
        assert (
            estimates[c.environment].groups["compute"]
            != estimate.estimate(c.environment, c.tier, document, PRICES, azs=2).groups["compute"]
        )


def test_a_class_the_price_list_has_no_single_price_for_is_named(tmp_path: Path) -> None:
    client, stubber = stubbed_pricing()
    two_prices = [price_list_entry({"instanceType": "db.r7g.large"}, "0.5"), price_list_entry({"instanceType": "db.r7g.large"}, "0.75")]
    stubber.add_response("get_products", {"PriceList": two_prices}, rds_request("us-east-1", "db.r7g.large"))
    stubber.add_response("get_products", {"PriceList": []}, FARGATE_REQUEST)
    document = {"resource": {"aws_db_instance": {"database_instance": {"instance_class": "db.r7g.large"}}}}
    with stubber:
        answered = live.refresh(PRICES, [document], client)
    assert answered.missing == ["RDS db.r7g.large"]
    assert answered.fetched == {}
    assert "db.r7g.large" not in answered.table["rds"]["instance_hour"]
    assert answered.table == {**PRICES, "live": True} and "live" not in PRICES  # the table itself is not changed


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (
            "AccessDeniedException",
            "these credentials may not do this: use the role for this step (docs/runbook.md#prerequisites-for-real-deployments)",
        ),
        ("ExpiredTokenException", "your session expired: sign in again (e.g. aws sso login) and run this again"),
        ("ThrottlingException", "AWS is throttling the account: wait a minute and run this again"),
    ],
)
def test_an_aws_error_of_live_prices_is_one_line(
    code: str, hint: str, defaults_build: Build, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stubber = stubbed_pricing()
    stubber.add_client_error("get_products", service_error_code=code, service_message="said AWS")
    monkeypatch.setattr(live, "client", lambda: client)
    with stubber:
        assert estimate.main(["--outdir", str(defaults_build.outdir), "--live"]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: cost --live: Price List API GetProducts (us-east-1): AWS said {code}: said AWS; {hint}\n"
    assert captured.out == ""


def test_live_prices_without_credentials_or_network_are_one_line(
    defaults_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real boto3 client: no credentials anywhere, then credentials and an endpoint nobody answers."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # boto3's default session keeps the credentials it found first: another test's, when they ran in this process before.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    assert estimate.main(["--outdir", str(defaults_build.outdir), "--live"]) == 2
    assert capsys.readouterr().err == (
        "error: cost --live: Price List API GetProducts (us-east-1): no AWS credentials (Unable to locate credentials); "
        "sign in (e.g. aws sso login, or set AWS_PROFILE) and run this again\n"
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert estimate.main(["--outdir", str(defaults_build.outdir), "--live"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cost --live: Price List API GetProducts (us-east-1): AWS cannot be reached (Could not connect")
    assert err.endswith("check the network, proxy or AWS_ENDPOINT_URL, then run this again\n") and err.count("\n") == 1


def test_readme_cost_table_is_the_estimate_of_the_defaults(defaults_build: Build) -> None:
    block = reference.readme_block(reference.COST_DOC.read_text(), reference.COST_START, reference.COST_END)
    assert block == estimate.markdown(estimate.estimate_all(defaults_build.outdir)), "run `pipenv run docs` and commit docs/cost.md"


def test_command_without_synth_output_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert estimate.main(["--outdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}/stacks/wallet-dev/cdk.tf.json: not found; run `pipenv run synth` first\n"


def test_an_estimate_older_than_the_code_or_context_says_so(
    defaults_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Synthesized before cdktf.json or the code last changed: one warning line, and the estimate still printed."""
    shutil.copytree(defaults_build.outdir / "stacks", tmp_path / "stacks")
    assert estimate.main(["--outdir", str(tmp_path)]) == 0
    assert "warning" not in capsys.readouterr().err  # just synthesized: current
    for path in (tmp_path / "stacks").glob("*/cdk.tf.json"):
        os.utime(path, (0, 0))  # synthesized in 1970
    assert estimate.main(["--outdir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    newest = estimate.newer_input(tmp_path)
    assert newest is not None and newest.relative_to(estimate.PROJECT).parts[0] in ("cdktf.json", "main.py", "stacks", "constructs_lib")
    assert captured.err == (
        f"warning: {newest.relative_to(estimate.PROJECT)} changed after {tmp_path} was synthesized: this prices the stacks as they "
        "were; run `pipenv run synth` first for what you have now\n"
    )
    assert "total" in captured.out


def test_what_the_price_list_api_does_not_answer_is_named(defaults_build: Build) -> None:
    """No Fargate rate and entries of another shape (not JSON, no product, no price): no traceback; the RDS classes
    are unpriced with the live wording, and every Fargate rate a stack uses is named as the table's."""
    client, stubber = stubbed_pricing()
    odd = ["not json", json.dumps({"terms": {}}), json.dumps({"product": {"attributes": {}}, "terms": {"OnDemand": {"x": {}}}})]
    classes = set().union(*(live.instance_classes(defaults_build.parsed[c.stack_name]) for c in config.ENVIRONMENTS))
    for instance_class in sorted(classes):
        stubber.add_response("get_products", {"PriceList": odd}, rds_request("us-east-1", instance_class))
    stubber.add_response("get_products", {"PriceList": odd}, FARGATE_REQUEST)
    with stubber:
        estimates = {e.environment: e for e in estimate.estimate_all(defaults_build.outdir, pricing=client)}
    for c in config.ENVIRONMENTS:
        e = estimates[c.environment]
        document = defaults_build.parsed[c.stack_name]
        named = e.sources[2].removeprefix("AWS's Price List API had no single price for: ").removesuffix(" (the table's, where it has one)")
        assert named.split(", ") == [f"RDS {k}" for k in sorted(live.instance_classes(document))] + [
            " ".join(key) for key in sorted(live.fargate_rates_used(document))
        ]
        assert e.sources[1] == "AWS's Price List API: nothing"
        assert e.unpriced == []  # the defaults' classes and rates are in the table
    # prod, written out: its class and the restore tests' (tests/expected.py), on-demand X86_64 Fargate
    assert estimates["prod"].sources[2] == (
        f"AWS's Price List API had no single price for: RDS {EXPECTED['wallet-prod'].db_class}, RDS db.t4g.micro, "
        "FARGATE X86_64 gb_hour, FARGATE X86_64 vcpu_hour (the table's, where it has one)"
    )


def test_a_class_priced_neither_by_the_table_nor_live_says_so(defaults_build: Build, tmp_path: Path) -> None:
    def on_m7g(document: dict[str, Any]) -> None:
        document["resource"]["aws_db_instance"]["database_instance"]["instance_class"] = "db.m7g.large"

    outdir = copy_of(defaults_build, tmp_path, "wallet-prod", on_m7g)
    client, stubber = stubbed_pricing()
    answer_every_stack(stubber, outdir, lambda instance_class: [] if instance_class == "db.m7g.large" else ["0.0625"])
    with stubber:
        prod = next(e for e in estimate.estimate_all(outdir, pricing=client) if e.environment == "prod")
    assert prod.unpriced == ["RDS db.m7g.large: no price in the table for us-east-1; nor a single one from AWS's Price List API"]


def test_fargate_usage_types_with_and_without_a_region_prefix() -> None:
    for usage, key in [
        ("USE1-Fargate-vCPU-Hours:perCPU", (None, None, "vCPU-Hours:perCPU")),
        ("Fargate-GB-Hours", (None, None, "GB-Hours")),
        ("EUC1-SpotUsage-Fargate-ARM-vCPU-Hours:perCPU", ("SpotUsage-", "ARM-", "vCPU-Hours:perCPU")),
    ]:
        match = live.FARGATE_USAGE.match(usage)
        assert match is not None and (match["spot"], match["arm"], match["dimension"]) == key
    for other in ("USE1-Fargate-Windows-vCPU-Hours:perCPU", "USE1-Fargate-EphemeralStorage-GB-Hours", "USE1-Fargate-GB-Hours-extra"):
        assert live.FARGATE_USAGE.match(other) is None
