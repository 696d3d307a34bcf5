"""The generated and checked blocks of docs/ are the code's: the configuration reference (every field documented, every
value current) and the alarm table."""

from __future__ import annotations

import dataclasses
from typing import Any

from stacks import reference
from stacks.config import EnvironmentConfig
from tests.expected import EXPECTED
from tests.helpers import resources


def test_every_field_has_a_meaning_and_rule() -> None:
    assert set(reference.MEANINGS) == {item.name for item in dataclasses.fields(EnvironmentConfig)}


def test_the_configuration_reference_matches_the_code() -> None:
    assert reference.readme_block(reference.CONFIGURATION_DOC.read_text()) == reference.table(), (
        "run `pipenv run docs` and commit docs/configuration.md"
    )


def test_the_alarm_table_is_the_synthesized_alarm_pack(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """The alarm table of docs/alarms.md ("Alarms, notifications, dashboard") lists exactly the alarms each environment
    synthesizes, each once, with what missing data does (OK: notBreaching, alarm: breaching)."""
    text = (reference.DOCS / "alarms.md").read_text()
    lines = text[text.index("| alarm | metric | fires when | missing data | first thing to do |") :].splitlines()
    rows = [line.split(" | ") for line in lines[2 : next(i for i, line in enumerate(lines) if not line.startswith("|"))]]
    documented = [(row[0].strip("|` "), row[3]) for row in rows]
    prefix = f"wallet-service-{EXPECTED[env_stack].environment}-"
    synthesized = [
        (alarm["alarm_name"].removeprefix(prefix), {"notBreaching": "OK", "breaching": "alarm"}[alarm["treat_missing_data"]])
        for alarm in resources(parsed[env_stack], "aws_cloudwatch_metric_alarm").values()
    ]
    assert sorted(documented) == sorted(synthesized), "docs/alarms.md: the alarm table and the synthesized alarms differ"
