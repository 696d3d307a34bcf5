"""main.py as users run it, directly and through the real cdktf CLI: good input synthesizes every stack, the same
as the tests see it; a mistake is one line, exit 2, nothing written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks import config, overrides
from stacks.errors import ConfigError
from tests.conftest import ALL_STACKS, CDKTF_CLI, PROJECT_DIR, Background, Build, effective_context, subprocess_environment
from tests.expected import EXPECTED


# Malformed inputs through the user's real interfaces: (id, field the line must name, CDKTF_CONTEXT_JSON or None,
# cdktf.json text or None). Each must give exit status 2, one line on stderr, no traceback, no output folder.
def context(overrides: dict[str, Any]) -> str:
    return json.dumps(overrides)


def cdktf_json(overrides: dict[str, Any]) -> str:
    document = json.loads((PROJECT_DIR / "cdktf.json").read_text())
    return json.dumps({**document, "context": overrides})


BAD_INPUTS: list[tuple[str, str, str | None, str | None]] = [
    ("vpc-id-not-hex", "vpc_id", context({"wallet-prod": {"vpc_id": "vpc-xyz"}}), None),
    ("vpc-id-16-digits", "vpc_id", None, cdktf_json({"wallet-prod": {"vpc_id": "vpc-0123456789abcdef"}})),
    ("subnet-id", "private_subnet_ids", context({"wallet-dev": {"private_subnet_ids": ["subnet-1", "subnet-12345678"]}}), None),
    ("one-subnet", "public_subnet_ids", context({"wallet-dev": {"public_subnet_ids": ["subnet-12345678"]}}), None),
    ("min-above-max", "min_capacity", context({"wallet-prod": {"min_capacity": 11}}), None),
    ("desired-above-max", "desired_count", None, cdktf_json({"wallet-staging": {"desired_count": 5}})),
    ("max-above-100", "max_capacity", context({"wallet-prod": {"max_capacity": 101}}), None),
    ("storage-below-20", "db_allocated_storage", context({"wallet-dev": {"db_allocated_storage": 10}}), None),
    ("max-storage-below-allocated", "db_max_allocated_storage", context({"wallet-prod": {"db_max_allocated_storage": 50}}), None),
    ("fargate-pair", "task_memory", context({"wallet-dev": {"task_cpu": 256, "task_memory": 4096}}), None),
    ("region", "region", context({"wallet": {"region": "mars-1"}}), None),
    ("account-id", "allowed_account_ids", context({"wallet-prod": {"allowed_account_ids": ["1234"]}}), None),
    ("e-mail", "alarm_emails", context({"wallet-prod": {"alarm_emails": ["oncall-at-example.com"]}}), None),
    ("certificate-arn", "certificate_arn", context({"wallet-prod": {"certificate_arn": "arn:aws:acm:::certificate/x"}}), None),
    ("prod-without-certificate", "certificate_arn", None, cdktf_json({"wallet-prod": {"certificate_tags": {}}})),
    ("log-retention", "log_retention_days", context({"wallet-dev": {"log_retention_days": 8}}), None),
    ("image-tag-empty", "image_tag", context({"wallet-dev": {"image_tag": ""}}), None),
    ("image-tag-chars", "image_tag", None, cdktf_json({"wallet-prod": {"image_tag": "v1.2.3 beta"}})),
    ("type-string-for-number", "max_capacity", context({"wallet-dev": {"max_capacity": "3"}}), None),
    ("type-bool-for-number", "desired_count", context({"wallet-dev": {"desired_count": True}}), None),
    ("type-string-for-list", "alarm_emails", context({"wallet-dev": {"alarm_emails": "a@example.com"}}), None),
    ("unknown-field", "max_capcity", context({"wallet-prod": {"max_capcity": 3}}), None),
    ("unknown-stack", "wallet-sandbox1", context({"wallet-sandbox1": {"max_capacity": 3}}), None),
    ("environment-override", "environment", context({"wallet-dev": {"environment": "prod"}}), None),
    ("prod-deletion-protection-off", "db_deletion_protection", context({"wallet-prod": {"db_deletion_protection": False}}), None),
    ("state-bucket-disagrees", "state_bucket", context({"wallet-dev": {"state_bucket": "other-bucket"}}), None),
    ("ingress-cidr", "ingress_cidrs", context({"wallet-dev": {"ingress_cidrs": ["0.0.0.0/33"]}}), None),
    ("alarm-percent", "alarm_service_cpu_percent", context({"wallet-dev": {"alarm_service_cpu_percent": 150}}), None),
    ("context-json-malformed", "CDKTF_CONTEXT_JSON", '{"wallet-prod": {"max_capacity": 3,}}', None),
    ("cdktf-json-malformed", "cdktf.json", None, '{"language": "python", "context": {'),
    ("context-not-object", "context", "[1, 2]", None),
    ("stack-override-not-object", "wallet-prod", context({"wallet-prod": "vpc-0123456789abcdef0"}), None),
    ("stack-override-not-object-in-cdktf-json", "wallet", None, cdktf_json({"wallet": ["state_bucket"]})),
    ("unknown-stack-not-object", "wallet-sandbox1", context({"wallet-sandbox1": "x"}), None),
    (
        "duplicate-subnets",
        "private_subnet_ids",
        context({"wallet-dev": {"private_subnet_ids": ["subnet-12345678", "subnet-12345678"]}}),
        None,
    ),
    ("tier-override", "tier", context({"wallet-prod": {"tier": "development"}}), None),
    ("production-access-logs-off", "alb_access_logs", context({"wallet-prod": {"alb_access_logs": False}}), None),
    ("production-short-log-retention", "log_retention_days", context({"wallet-prod": {"log_retention_days": 30}}), None),
    ("arm64-on-spot", "fargate_spot_percent", context({"wallet": {"cpu_architecture": "ARM64"}}), None),
    ("endpoint-azs", "vpc_endpoint_azs", None, cdktf_json({"wallet-dev": {"vpc_endpoint_azs": 7}})),
    (
        "copy-account-under-aws-managed-key",
        "db_storage_customer_key",
        context(
            {
                "wallet-prod": {
                    "db_storage_customer_key": False,
                    "backup_copy_vault_arn": "arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies",
                }
            }
        ),
        None,
    ),
    # A setting beside the stacks' keys instead of inside one: nothing would read it.
    ("top-level-setting", "vpc_id", None, cdktf_json({"vpc_id": "vpc-0123456789abcdef0", "wallet-dev": {"max_capacity": 2}})),
    ("top-level-setting-in-variable", "vpc_id", context({"vpc_id": "vpc-0123456789abcdef0", "wallet-dev": {}}), None),
    ("unknown-environment", "wallet-qa", context({"wallet-qa": {"max_capacity": 3}}), None),
    ("shared-key", "wallet: max_capacity", context({"wallet": {"max_capacity": "3"}}), None),
]


def launch(case_dir: Path, context_json: str | None, cdktf_json_text: str | None) -> subprocess.Popen[str]:
    """Runs main.py as a user would: from a copy of the project when cdktf.json is under test."""
    main = PROJECT_DIR / "main.py"
    if cdktf_json_text is not None:
        for name in ("stacks", "constructs_lib"):
            shutil.copytree(PROJECT_DIR / name, case_dir / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(main, case_dir / "main.py")
        (case_dir / "cdktf.json").write_text(cdktf_json_text)
        main = case_dir / "main.py"
    env = {key: value for key, value in os.environ.items() if key not in (overrides.CONTEXT_ENV, "CDKTF_OUTDIR")}
    if context_json is not None:
        env[overrides.CONTEXT_ENV] = context_json
    return subprocess.Popen([sys.executable, str(main)], cwd=case_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def bad_input_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """All cases at once: each process only validates (about 0.2 s), so they overlap well."""
    started = {}
    for case_id, _, context_json, cdktf_json_text in BAD_INPUTS:
        case_dir = tmp_path_factory.mktemp(case_id)
        started[case_id] = (case_dir, launch(case_dir, context_json, cdktf_json_text))
    results = {}
    for case_id, (case_dir, process) in started.items():
        stdout, stderr = process.communicate(timeout=120)
        results[case_id] = (case_dir, subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return results


@pytest.mark.parametrize(("case_id", "field"), [(case_id, field) for case_id, field, _, _ in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2_nothing_written(
    bad_input_runs: dict[str, tuple[Path, subprocess.CompletedProcess[str]]], case_id: str, field: str
) -> None:
    case_dir, result = bad_input_runs[case_id]
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and field in lines[0]
    assert "Traceback" not in result.stderr
    assert not (case_dir / "cdktf.out").exists()


def test_context_messages_are_the_configuration_rules_own(bad_input_runs: dict[str, tuple[Path, subprocess.CompletedProcess[str]]]) -> None:
    """What main.py prints is exactly the rule's message (whose wording tests/stacks/test_config.py pins)."""
    for case_id, _, context_json, _ in BAD_INPUTS:
        if context_json is None or "malformed" in case_id or case_id == "context-not-object":
            continue
        parsed_context = json.loads(context_json)
        with pytest.raises(ConfigError) as raised:
            config.load(parsed_context)
        assert bad_input_runs[case_id][1].stderr == f"error: {raised.value}\n", case_id


def test_a_top_level_setting_in_cdktf_json_names_where_it_belongs(
    bad_input_runs: dict[str, tuple[Path, subprocess.CompletedProcess[str]]],
) -> None:
    stacks = ", ".join(EXPECTED)
    assert bad_input_runs["top-level-setting"][1].stderr == (
        f"error: context: vpc_id: a setting at the top level is not read; move it into the key of its stack ({stacks}), or into "
        "'wallet' for every environment\n"
    )


def test_malformed_json_names_the_position(bad_input_runs: dict[str, tuple[Path, subprocess.CompletedProcess[str]]]) -> None:
    assert bad_input_runs["context-json-malformed"][1].stderr == (
        "error: CDKTF_CONTEXT_JSON: malformed JSON: Expecting property name enclosed in double quotes at line 1 column 36\n"
    )
    assert bad_input_runs["cdktf-json-malformed"][1].stderr.startswith("error: cdktf.json: malformed JSON: ")


def assert_same_output(run: Background, built: Build) -> None:
    result = run.result()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "end-of-life" not in result.stdout + result.stderr  # jsii ran on the project's supported Node
    for name in ALL_STACKS:
        assert (run.outdir / "stacks" / name / "cdk.tf.json").read_bytes() == (
            built.outdir / "stacks" / name / "cdk.tf.json"
        ).read_bytes(), name


def test_lazy_and_eager_bindings_write_the_same_bytes(main_runs: dict[str, Background], effective_build: Build) -> None:
    """`python main.py` with the lazy AWS bindings on both sides (Python and Node) and with the eager import on both
    sides (WALLET_EAGER_AWS_IMPORT=1) write, for every stack, the same bytes as the in-process effective build."""
    for run in main_runs.values():
        assert_same_output(run, effective_build)
    lazy, eager = main_runs["lazy"].result().stderr, main_runs["eager"].result().stderr
    # The Node hook's own report (NODE_DEBUG=wallet): it rewrote the entry module in the lazy run only. The eager run
    # inherited the hook through NODE_OPTIONS from this process, so this also shows that the hook obeys the switch.
    [rewritten] = re.findall(r"lazy @cdktf/provider-aws: (\d+) submodules load on first use", lazy)
    assert int(rewritten) > 2000
    assert "eager: WALLET_EAGER_AWS_IMPORT=1" in eager
    assert "lazy @cdktf/provider-aws" not in eager


def test_main_prints_a_line_per_stack_and_the_time(main_runs: dict[str, Background], effective_build: Build) -> None:
    run = main_runs["lazy"]
    lines = run.result().stdout.splitlines()
    assert len(lines) == len(ALL_STACKS) + 1, lines  # nothing else on stdout
    for line, name in zip(lines, ALL_STACKS, strict=False):
        match = re.fullmatch(r"(\S+) +(\d+) resources  (\S+)", line)
        assert match is not None, line
        assert match.group(1) == name
        assert int(match.group(2)) == sum(len(blocks) for blocks in effective_build.parsed[name]["resource"].values())
        assert Path(match.group(3)) == run.outdir / "stacks" / name / "cdk.tf.json"
    assert re.fullmatch(rf"synthesized {len(EXPECTED) + 1} stacks in \d+\.\d s", lines[-1]), lines[-1]  # and wallet-state
    # While the context names no state bucket, one warning says so, and what to do.
    warnings = [line for line in run.result().stderr.splitlines() if line.startswith("warning:")]
    if config.load(effective_context())[0].state_bucket is None:
        assert warnings == [
            "warning: state_bucket: not set, so the environment stacks' S3 backends have no bucket; deploy wallet-state "
            "first, then set state_bucket to the name it prints (output state_bucket_name) under the context key 'wallet' "
            "in cdktf.json (docs/runbook.md#1-bootstrap-the-state-bucket-once)"
        ]
    else:
        assert warnings == []


def test_cdktf_synth_equals_in_process_synthesis(cli_runs: dict[str, Background], effective_build: Build) -> None:
    """`cdktf synth` (app `pipenv run python main.py` from cdktf.json) writes what the tests test."""
    assert_same_output(cli_runs["synth"], effective_build)


def test_cdktf_list_shows_every_stack(cli_runs: dict[str, Background]) -> None:
    """`cdktf list` reads the manifest `cdktf synth` wrote (its app is replaced by `true`, so the stacks are not
    synthesized a second time: the synth test covers the app itself)."""
    assert cli_runs["synth"].result().returncode == 0
    result = subprocess.run(
        [str(CDKTF_CLI), "list", "--app", "true", "--output", str(cli_runs["synth"].outdir)],
        cwd=PROJECT_DIR, env=subprocess_environment(), capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    listed = re.findall(r"^(wallet-[a-z]+)\s", re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", result.stdout), re.MULTILINE)
    assert sorted(listed) == sorted(ALL_STACKS)
