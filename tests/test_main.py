"""main.py as users run it: good input synthesizes every stack; a mistake is one line, exit 2, nothing written.

The eager-import subprocess (started at session start, see conftest) doubles as the check that the
lazy loader changes nothing: its output must equal the in-process (lazy) synthesis byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stacks import overrides, runtime
from tests.conftest import ALL_STACKS, PROJECT_DIR, EagerSynth


def run_main(cwd: Path, context: str | None, main: Path = PROJECT_DIR / "main.py") -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != overrides.CONTEXT_ENV}
    if context is not None:
        env[overrides.CONTEXT_ENV] = context
    return subprocess.run([sys.executable, str(main)], check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def assert_rejected(result: subprocess.CompletedProcess[str], cwd: Path, message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"
    assert not (cwd / "cdktf.out").exists()


BAD_CONTEXTS = [
    ({"wallet-prod": {"vpc_id": "vpc-xyz"}}, "wallet-prod: vpc_id: 'vpc-xyz' is not valid; expected 'vpc-' followed by 8 or 17 hex digits"),
    ({"wallet-prod": {"min_capacity": 11}}, "wallet-prod: min_capacity: 11 is not valid; expected at most max_capacity (10)"),
    ({"wallet-prod": {"max_capcity": 3}}, "wallet-prod: unknown field 'max_capcity'; did you mean 'max_capacity'?"),
    (
        {"wallet-qa": {"max_capacity": 3}},
        "context: unknown stack 'wallet-qa'; expected one of wallet, wallet-dev, wallet-staging, wallet-prod; did you mean 'wallet'?",
    ),
    (
        {"wallet-dev": {"image_tag": ""}},
        "wallet-dev: image_tag: '' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -",
    ),
    ({"wallet-dev": {"environment": "prod"}}, "wallet-dev: environment: cannot be overridden; the stack name fixes it"),
]


@pytest.mark.parametrize(("context", "message"), BAD_CONTEXTS, ids=[m.split(";")[0] for _, m in BAD_CONTEXTS])
def test_bad_context_is_one_line_exit_2_nothing_written(tmp_path: Path, context: dict[str, object], message: str) -> None:
    assert_rejected(run_main(tmp_path, json.dumps(context)), tmp_path, message)


def test_malformed_context_json(tmp_path: Path) -> None:
    result = run_main(tmp_path, '{"wallet-prod": {"max_capacity": 3,}}')
    assert_rejected(
        result, tmp_path, "CDKTF_CONTEXT_JSON: malformed JSON: Expecting property name enclosed in double quotes at line 1 column 36"
    )


def test_bad_override_in_cdktf_json(tmp_path: Path) -> None:
    """Without CDKTF_CONTEXT_JSON (plain `python main.py`), main.py reads cdktf.json's context itself."""
    project = tmp_path / "project"
    for name in ("stacks", "constructs_lib"):
        shutil.copytree(PROJECT_DIR / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_DIR / "main.py", project / "main.py")
    cdktf_json = json.loads((PROJECT_DIR / "cdktf.json").read_text())
    cdktf_json["context"] = {"wallet-staging": {"min_capacity": 3, "desired_count": 2}}
    (project / "cdktf.json").write_text(json.dumps(cdktf_json))
    result = run_main(project, None, main=project / "main.py")
    assert_rejected(result, project, "wallet-staging: desired_count: 2 is not valid; expected from min_capacity (3) to max_capacity (4)")


def test_main_output_equals_in_process_lazy_synthesis(eager_synth: EagerSynth, synth_dir: Path) -> None:
    """`python main.py` with the eager import writes byte-identical JSON to the lazily loaded in-process build."""
    result = eager_synth.result()
    assert result.returncode == 0, result.stderr
    assert "end-of-life" not in result.stderr  # jsii ran on the project's supported Node
    for name in ALL_STACKS:
        eager = (eager_synth.outdir / "stacks" / name / "cdk.tf.json").read_bytes()
        lazy = (synth_dir / "stacks" / name / "cdk.tf.json").read_bytes()
        assert eager == lazy, name


def test_lazy_loader_loads_only_what_is_used() -> None:
    loaded = [name for name in sys.modules if name.startswith(runtime.AWS_PACKAGE + ".")]
    assert f"{runtime.AWS_PACKAGE}.provider" in loaded
    assert f"{runtime.AWS_PACKAGE}.wafv2_web_acl" not in loaded
    assert len(loaded) < 100
