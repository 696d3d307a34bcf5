"""Shared fixtures. Every stack is synthesized once per session, in this process.

The two runs of the real cdktf CLI start right after collection (see pytest_collection_finish), so they run on the
second core while the other tests run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stacks import runtime

runtime.prepare()  # before anything imports cdktf: supported Node, lazy AWS bindings

from stacks import config, overrides  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENV_STACKS = [c.stack_name for c in (config.DEV, config.STAGING, config.PROD)]
ALL_STACKS = [*ENV_STACKS, config.STATE_STACK]


CDKTF_CLI = PROJECT_DIR / "tools" / "cdktf" / "node_modules" / ".bin" / "cdktf"


class Background:
    """A command started when the session starts, so it runs on the second core while the tests run."""

    def __init__(self, command: list[str], outdir: Path, extra_env: dict[str, str]) -> None:
        self.outdir = outdir
        env = {key: value for key, value in os.environ.items() if key not in (overrides.CONTEXT_ENV, "CDKTF_OUTDIR")}
        env.update(extra_env, CHECKPOINT_DISABLE="1")  # no cdktf telemetry
        self.process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(self) -> subprocess.CompletedProcess[str]:
        stdout, stderr = self.process.communicate(timeout=600)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, stdout, stderr)


BACKGROUND = pytest.StashKey[dict[str, Background]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """When a collected test needs them: the real cdktf CLI, as users run it from cdktf.json (its app is
    `pipenv run python main.py`):

    * ``synth`` with the eager import of the AWS bindings (WALLET_EAGER_AWS_IMPORT=1): its output must equal the
      in-process build, which uses the lazy loader, byte for byte;
    * ``list``, with the default lazy loader.
    """
    if not CDKTF_CLI.exists() or not any("cli_runs" in getattr(item, "fixturenames", ()) for item in session.items):
        return  # not needed, or not installed (then the tests that need it fail and say how to install it)
    base = session.config._tmp_path_factory.mktemp("cli")  # type: ignore[attr-defined]
    session.config.stash[BACKGROUND] = {
        command: Background(
            [str(CDKTF_CLI), command, "--output", str(base / command)],
            base / command,
            {runtime.EAGER_ENV: "1"} if command == "synth" else {},
        )
        for command in ("synth", "list")
    }


@pytest.fixture(scope="session")
def cli_runs(request: pytest.FixtureRequest) -> dict[str, Background]:
    assert BACKGROUND in request.config.stash, f"the cdktf CLI is not installed at {CDKTF_CLI}: run `pipenv run setup-cli`"
    return request.config.stash[BACKGROUND]


@pytest.fixture(scope="session")
def configs() -> list[config.EnvironmentConfig]:
    return config.load({})


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory, configs: list[config.EnvironmentConfig]) -> Path:
    from stacks.app import build_app

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    build_app(configs, outdir=str(outdir)).synth()
    return outdir


@pytest.fixture(scope="session")
def synthesized(synth_dir: Path) -> dict[str, str]:
    """Stack name -> the cdk.tf.json text, as the Testing matchers take it."""
    return {name: (synth_dir / "stacks" / name / "cdk.tf.json").read_text() for name in ALL_STACKS}


@pytest.fixture(scope="session")
def parsed(synthesized: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {name: json.loads(text) for name, text in synthesized.items()}


@pytest.fixture(params=ENV_STACKS)
def env_stack(request: pytest.FixtureRequest) -> str:
    """Parametrizes a test over wallet-dev, wallet-staging and wallet-prod."""
    return str(request.param)


def config_of(stack_name: str) -> config.EnvironmentConfig:
    return config.DEFAULTS[stack_name]
