"""Shared fixtures. Every stack is synthesized once per session, in this process.

The subprocess runs of main.py (eager import) and of the real cdktf CLI start when the session starts (see
pytest_sessionstart), so they run on the second core while the other tests run; pytest_collection_finish stops
those no collected test needs.
"""

from __future__ import annotations

import json
import os
import signal
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


CDKTF_CLI = PROJECT_DIR / "tools" / "cdktf" / "node_modules" / ".bin" / "cdktf"


def cli_environment() -> dict[str, str]:
    """The caller's environment without overrides or an output folder of its own, and no cdktf telemetry."""
    env = {key: value for key, value in os.environ.items() if key not in (overrides.CONTEXT_ENV, "CDKTF_OUTDIR")}
    return {**env, "CHECKPOINT_DISABLE": "1"}


class Background:
    """A command started when the session starts, so it runs on the second core while the tests run."""

    def __init__(self, command: list[str], outdir: Path, extra_env: dict[str, str]) -> None:
        self.outdir = outdir
        env = cli_environment()
        env.update(extra_env)
        self.process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )

    def stop(self) -> None:
        """Ends the command and everything it started (the CLI runs pipenv, which runs python)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.communicate()

    def result(self) -> subprocess.CompletedProcess[str]:
        stdout, stderr = self.process.communicate(timeout=600)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, stdout, stderr)


BACKGROUND = pytest.StashKey[dict[str, Background]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Starts, before collection (which imports cdktf and the bindings: seconds the subprocesses can use):

    * ``eager``: `python main.py` with the eager import of the AWS bindings (WALLET_EAGER_AWS_IMPORT=1), whose
      output must equal the in-process build (lazy loader) byte for byte;
    * ``synth``: `cdktf synth` of the real CLI as users run it from cdktf.json (app `pipenv run python main.py`),
      at lower priority: the eager run is the longest.
    """
    base = session.config._tmp_path_factory.mktemp("background")  # type: ignore[attr-defined]
    env = {runtime.EAGER_ENV: "1", "CDKTF_OUTDIR": str(base / "eager")}
    runs = {"eager": Background([sys.executable, "main.py"], base / "eager", env)}
    if CDKTF_CLI.exists():  # not installed: the tests that need it fail and say how
        runs["synth"] = Background(["nice", "-n", "10", str(CDKTF_CLI), "synth", "--output", str(base / "synth")], base / "synth", {})
    session.config.stash[BACKGROUND] = runs


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stops the runs no collected test needs (e.g. `pipenv run scan`)."""
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    runs = session.config.stash[BACKGROUND]
    for name, fixture in (("eager", "eager_synth"), ("synth", "cli_runs")):
        if name in runs and fixture not in needed:
            runs.pop(name).stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A run whose test did not wait for it (deselected by -k, or after -x stopped the session) ends with the session."""
    for run in session.config.stash.get(BACKGROUND, {}).values():
        if run.process.poll() is None:
            run.stop()


@pytest.fixture(scope="session")
def eager_synth(request: pytest.FixtureRequest) -> Background:
    return request.config.stash[BACKGROUND]["eager"]


@pytest.fixture(scope="session")
def cli_runs(request: pytest.FixtureRequest) -> dict[str, Background]:
    runs = request.config.stash[BACKGROUND]
    assert "synth" in runs, f"the cdktf CLI is not installed at {CDKTF_CLI}: run `pipenv run setup-cli`"
    return runs


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


# One stack built with every kind of override, for the tests of what the overrides change (built once).
CUSTOMIZED = {
    "allowed_account_ids": ["123456789012"],
    "owner": "payments",
    "cost_center": "engineering",
    "image_tag": "v1.2.3",
    "vpc_endpoints": False,
    "waf": False,
    "alarm_db_connections": 150,
    "alarm_response_time_seconds": 2.5,
    "alarm_emails": ["oncall@example.com", "payments@example.com"],
}


@pytest.fixture(scope="session")
def customized() -> dict[str, Any]:
    """wallet-staging with CUSTOMIZED applied, parsed."""
    from cdktf import App
    from cdktf import Testing as CdktfTesting

    from stacks.wallet_stack import WalletStack

    staging = config.load({"wallet-staging": CUSTOMIZED})[1]
    return dict(json.loads(CdktfTesting.synth(WalletStack(App(), "wallet-staging", config=staging))))


@pytest.fixture(params=ENV_STACKS)
def env_stack(request: pytest.FixtureRequest) -> str:
    """Parametrizes a test over wallet-dev, wallet-staging and wallet-prod."""
    return str(request.param)


def config_of(stack_name: str) -> config.EnvironmentConfig:
    return config.DEFAULTS[stack_name]
