"""Policy scan: checkov over every synthesized stack, of the defaults and of the effective configuration (cdktf.json or
CDKTF_CONTEXT_JSON); zero findings outside the reviewed allowlist.

checkov's terraform_json parser stops at a plain string under `terraform` (our `required_version`) and then scans
nothing, and it fails on a JSON `dynamic` block (TypeError in process_dynamic_values, reported as no parsing error) and
then loses every resource's type; so each stack is scanned from a copy without that one key and without the one
dynamic block, the service's canary or linear settings held by `keep_rolling` (no check reads them); both
configurations and the team contexts of examples/ go through one checkov run.
A parsing error, a stack with no checks run, a finding not allowlisted (in either configuration), or an allowlist
entry that matches no finding of the defaults fails the test. Allowlist entries name tiers, not environments, so a
new environment of a tier is held to the same list.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import tomllib
from dataclasses import dataclass
from typing import Any

import pytest

from stacks import config
from tests.conftest import ALL_STACKS, CONFIGURATIONS, EXAMPLES, PROJECT_DIR, SUMMARY, Build
from tests.golden import read_golden

ALLOWLIST = PROJECT_DIR / "security" / "checkov-allowlist.toml"
SCANNER = PROJECT_DIR / "security" / ".venv" / "bin" / "python"
"""checkov's own environment (scripts/setup_tools.sh): it pins a boto3 older than the release scripts need."""
SCANNED = [*CONFIGURATIONS, *(f"example-{name}" for name in EXAMPLES)]
"""What one checkov run scans: the configurations under test, then each example's (examples/<name>/cdktf.json)."""
STACKS_OF_TIER = {tier: [c.stack_name for c in config.ENVIRONMENTS if c.tier == tier] for tier in config.TIERS}


@dataclass(frozen=True)
class Finding:
    check: str
    stack: str
    logical_id: str


@pytest.fixture(scope="session")
def checkov_reports(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Configuration label -> its results (one checkov run over them all)."""
    scan_dir = tmp_path_factory.mktemp("scan")
    examples: dict[str, Build] = request.getfixturevalue("example_builds")
    for label in SCANNED:
        built: Build = (
            examples[label.removeprefix("example-")] if label.startswith("example-") else request.getfixturevalue(f"{label}_build")
        )
        for stack in built.synthesized:  # the roles stacks too, where the environments name their accounts
            document = json.loads(built.synthesized[stack])
            document["terraform"].pop("required_version")
            for service in document["resource"].get("aws_ecs_service", {}).values():
                service.get("deployment_configuration", {}).pop("dynamic", None)
            (scan_dir / label / stack).mkdir(parents=True)
            (scan_dir / label / stack / "cdk.tf.json").write_text(json.dumps(document))
    assert SCANNER.exists(), f"{SCANNER} is missing: run `pipenv run setup-cli` (the README's first command)"
    result = subprocess.run(
        [str(SCANNER), "-m", "checkov.main", "-d", str(scan_dir), "--framework", "terraform_json", "--skip-download",
         "--compact", "--output", "json"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr  # 1: there are findings (judged below)
    report = json.loads(result.stdout)
    assert report["summary"]["parsing_errors"] == 0
    reports: dict[str, dict[str, list[dict[str, Any]]]] = {label: {"passed_checks": [], "failed_checks": []} for label in SCANNED}
    for kind in ("passed_checks", "failed_checks"):
        for check in report["results"][kind]:
            reports[str(check["file_path"]).strip("/").split("/")[0]][kind].append(check)
    counts = ", ".join(f"{label} ({len(r['passed_checks']) + len(r['failed_checks'])} checks)" for label, r in reports.items())
    request.config.stash.setdefault(SUMMARY, []).append(f"checkov scanned: {counts}")
    return reports


def stack_of(check: dict[str, Any]) -> str:
    return str(check["file_path"]).strip("/").split("/")[1]


def findings(report: dict[str, Any]) -> set[Finding]:
    return {Finding(c["check_id"], stack_of(c), str(c["resource"]).split(".")[-1]) for c in report["failed_checks"]}


@dataclass(frozen=True)
class Entry:
    """An allowlist entry: a check on the resources matching ``pattern`` (``*`` for e.g. one rule per CIDR) in ``stacks``."""

    check: str
    stacks: frozenset[str]
    pattern: str
    raw: dict[str, Any]

    def allows(self, finding: Finding) -> bool:
        in_stacks = any(fnmatch.fnmatchcase(finding.stack, stack) for stack in self.stacks)
        return finding.check == self.check and in_stacks and fnmatch.fnmatchcase(finding.logical_id, self.pattern)


def allowlist() -> list[Entry]:
    """The entries, each for the stacks of its tiers (default: all tiers) or the stacks it names (wallet-state)."""
    entries = []
    for raw in tomllib.loads(ALLOWLIST.read_text())["allow"]:
        stacks = raw.get("stacks") or [stack for tier in raw.get("tiers", config.TIERS) for stack in STACKS_OF_TIER[tier]]
        entries.append(Entry(raw["check"], frozenset(stacks), raw["resource"].split(".")[-1], raw))
    return entries


@pytest.mark.parametrize("label", SCANNED)
def test_scan_ran_checks_on_every_stack(checkov_reports: dict[str, dict[str, Any]], label: str) -> None:
    report = checkov_reports[label]
    ran = {stack_of(check) for kind in ("passed_checks", "failed_checks") for check in report[kind]}
    roles = {f"wallet-roles-{account}" for account in ("111111111111", "222222222222")} if label == "example-accounts" else set()
    assert ran == {*ALL_STACKS, *roles}
    assert len(report["passed_checks"]) > 500


@pytest.mark.parametrize("label", SCANNED)
def test_no_finding_outside_the_allowlist(checkov_reports: dict[str, dict[str, Any]], label: str) -> None:
    entries = allowlist()
    unexpected = sorted((f for f in findings(checkov_reports[label]) if not any(e.allows(f) for e in entries)), key=str)
    assert not unexpected, (
        f"checkov findings of the {label} configuration not in security/checkov-allowlist.toml (change the configuration, "
        "or add a reviewed entry):\n" + "\n".join(map(str, unexpected))
    )


def test_every_allowlist_entry_still_matches_a_finding_of_the_defaults(checkov_reports: dict[str, dict[str, Any]]) -> None:
    """Of the defaults; an entry with ``example`` (environments in accounts of their own: the defaults have no roles
    stack), of that example's scan, where the project has examples/ (a copy for the realistic context has none)."""

    def found(entry: Entry) -> set[Finding]:
        label = f"example-{entry.raw['example']}" if "example" in entry.raw else "defaults"
        return findings(checkov_reports[label])

    checked = [e for e in allowlist() if "example" not in e.raw or f"example-{e.raw['example']}" in checkov_reports]
    assert checked, "no allowlist entry was checked"
    stale = [f"{e.check} {e.raw['resource']}" for e in checked if not any(e.allows(f) for f in found(e))]
    assert not stale, "allowlist entries that match no finding (delete them):\n" + "\n".join(stale)


def test_allowlist_entries_name_tiers_real_addresses_and_reasons(example_builds: dict[str, Build]) -> None:
    accounts = example_builds.get("accounts")
    roles = [document for name, document in accounts.parsed.items() if name.startswith("wallet-roles-")] if accounts else []
    role_addresses = [
        f"{prefix}{kind}.{address}"
        for document in roles
        for block, prefix in (("resource", ""), ("data", "data."))
        for kind, items in document.get(block, {}).items()
        for address in items
    ]
    for entry in allowlist():
        assert set(entry.raw) <= {"check", "tiers", "stacks", "resource", "reason", "example"}, entry.raw
        assert entry.raw.get("example", "accounts") in ("accounts",), entry.raw
        if "wallet-roles-*" in entry.stacks and not role_addresses:
            continue  # a project copy without examples/: the roles stacks' addresses are the main suite's to check
        assert set(entry.raw.get("tiers", ())) <= set(config.TIERS), entry.raw
        assert set(entry.raw.get("stacks", ())) <= {config.STATE_STACK, "wallet-roles-*"}, f"name environments by tier: {entry.raw}"
        known = [read_golden(stack) if stack != "wallet-roles-*" else role_addresses for stack in entry.stacks]
        assert any(fnmatch.filter(names, entry.raw["resource"]) for names in known), entry.raw
        assert len(entry.raw["reason"]) > 40, entry.raw


def test_the_production_tier_has_none_of_the_development_exceptions() -> None:
    """What a payment service's production is never allowed: plain HTTP, no access logs, no deletion protection, a
    single-AZ database, log retention under a year."""
    production = set(STACKS_OF_TIER["production"])
    allowed_checks = {entry.check for entry in allowlist() if entry.stacks & production}
    forbidden = {"CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20", "CKV_AWS_91", "CKV_AWS_150", "CKV_AWS_157", "CKV_AWS_293", "CKV_AWS_338"}
    assert not allowed_checks & forbidden
