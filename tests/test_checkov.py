"""Policy scan: checkov over every synthesized stack; zero findings outside the reviewed allowlist.

checkov's terraform_json parser stops at a plain string under `terraform` (our `required_version`) and then scans
nothing, so each stack is scanned from a copy without that one key. A parsing error, a stack with no checks run,
a finding not allowlisted, or an allowlist entry that matches no finding fails the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALL_STACKS, PROJECT_DIR
from tests.golden import read_golden

ALLOWLIST = PROJECT_DIR / "security" / "checkov-allowlist.toml"


@dataclass(frozen=True)
class Finding:
    check: str
    stack: str
    logical_id: str


@pytest.fixture(scope="session")
def checkov_report(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    scan_dir = tmp_path_factory.mktemp("scan")
    for stack in ALL_STACKS:
        document = json.loads((synth_dir / "stacks" / stack / "cdk.tf.json").read_text())
        document["terraform"].pop("required_version")
        (scan_dir / stack).mkdir()
        (scan_dir / stack / "cdk.tf.json").write_text(json.dumps(document))
    result = subprocess.run(
        [sys.executable, "-m", "checkov.main", "-d", str(scan_dir), "--framework", "terraform_json", "--skip-download",
         "--compact", "--output", "json"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr  # 1: there are findings (judged below)
    return dict(json.loads(result.stdout))


def stack_of(check: dict[str, Any]) -> str:
    return str(check["file_path"]).strip("/").split("/")[0]


def findings(report: dict[str, Any]) -> set[Finding]:
    return {Finding(c["check_id"], stack_of(c), str(c["resource"]).split(".")[-1]) for c in report["results"]["failed_checks"]}


def allowlist() -> Iterator[tuple[Finding, dict[str, Any]]]:
    for entry in tomllib.loads(ALLOWLIST.read_text())["allow"]:
        for stack in entry["stacks"]:
            yield Finding(entry["check"], stack, entry["resource"].split(".")[-1]), entry


def test_scan_parsed_everything_and_ran_checks_on_every_stack(checkov_report: dict[str, Any]) -> None:
    assert checkov_report["summary"]["parsing_errors"] == 0
    ran = {stack_of(check) for kind in ("passed_checks", "failed_checks") for check in checkov_report["results"][kind]}
    assert ran == set(ALL_STACKS)
    assert checkov_report["summary"]["passed"] > 500


def test_no_finding_outside_the_allowlist(checkov_report: dict[str, Any]) -> None:
    allowed = {finding for finding, _ in allowlist()}
    unexpected = sorted(findings(checkov_report) - allowed, key=str)
    assert not unexpected, "checkov findings not in security/checkov-allowlist.toml:\n" + "\n".join(map(str, unexpected))


def test_every_allowlist_entry_still_matches_a_finding(checkov_report: dict[str, Any]) -> None:
    stale = sorted({finding for finding, _ in allowlist()} - findings(checkov_report), key=str)
    assert not stale, "allowlist entries that match no finding (delete them):\n" + "\n".join(map(str, stale))


def test_allowlist_entries_name_real_addresses_and_give_reasons() -> None:
    for finding, entry in allowlist():
        assert entry["resource"] in read_golden(finding.stack), entry
        assert len(entry["reason"]) > 40, entry
