"""Shared fixtures. Every stack is synthesized once per session, in this process.

The one eager-import synthesis (a subprocess running main.py with WALLET_EAGER_AWS_IMPORT=1) is
started when the session starts, so it runs on the second core while the other tests run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks import runtime

runtime.prepare()  # before anything imports cdktf: supported Node, lazy AWS bindings

from stacks import config, overrides  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENV_STACKS = [c.stack_name for c in (config.DEV, config.STAGING, config.PROD)]
ALL_STACKS = [*ENV_STACKS, config.STATE_STACK]


class EagerSynth:
    """`python main.py` in a subprocess with the eager AWS import, writing to its own folder."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        env = {**os.environ, runtime.EAGER_ENV: "1", "CDKTF_OUTDIR": str(outdir)}
        env.pop(overrides.CONTEXT_ENV, None)
        self.process = subprocess.Popen(
            [sys.executable, str(PROJECT_DIR / "main.py")],
            cwd=outdir.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> subprocess.CompletedProcess[str]:
        stdout, stderr = self.process.communicate(timeout=300)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, stdout, stderr)


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("WALLET_SKIP_EAGER") == "1":
        return
    base = session.config._tmp_path_factory.mktemp("eager")  # type: ignore[attr-defined]
    session.config.stash[EAGER_KEY] = EagerSynth(base / "cdktf.out")


EAGER_KEY = pytest.StashKey[EagerSynth]()


@pytest.fixture(scope="session")
def eager_synth(request: pytest.FixtureRequest) -> EagerSynth:
    if EAGER_KEY not in request.config.stash:
        pytest.skip("WALLET_SKIP_EAGER=1")
    return request.config.stash[EAGER_KEY]


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
