"""Shared fixtures. Every configuration is synthesized once per session, in this process.

Two configurations are under test:

* ``defaults``: the environment table of stacks/config.py alone. The tests that state literal values per environment
  (thresholds, sizes, ports, retention) read this build, so they hold whatever a team keeps in cdktf.json.
* ``effective``: what `python main.py` and `cdktf synth` build here, with the context of cdktf.json or
  CDKTF_CONTEXT_JSON. The guardrails, the golden addresses, checkov, the cost estimate and the byte-identity checks
  of main.py and the real CLI run on it as well. When the context changes nothing, it is the defaults build.

The subprocess runs of main.py (lazy and eager bindings), of the real cdktf CLI and of the suite's core checks in a project copy
with a realistic context start when the session starts (see pytest_sessionstart), so they run on the second core
while the other tests run; pytest_collection_finish stops those no collected test needs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks import runtime

runtime.prepare()  # before anything imports cdktf: supported Node, lazy AWS bindings

from sandbox.account import Account, Emulator  # noqa: E402
from stacks import config, overrides  # noqa: E402
from stacks.errors import ConfigError  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENV_STACKS = list(config.STACK_NAMES)
ALL_STACKS = [*ENV_STACKS, config.STATE_STACK]
CDKTF_CLI = PROJECT_DIR / "tools" / "cdktf" / "node_modules" / ".bin" / "cdktf"
# Set to 0 by the nested run of the core checks (tests/test_realistic_context.py): it needs none of the runs.
BACKGROUND_ENV = "WALLET_TEST_BACKGROUND"
EMULATOR_ENV = "WALLET_TEST_EMULATOR"
"""0: no emulated account (its tests then fail and say so); for measuring what it adds (scripts/bench.py)."""
# What a project copy needs to synthesize (main.py) and to run the suite's core checks.
PROJECT_FILES = ("main.py", "cdktf.json", "pyproject.toml")
PROJECT_FOLDERS = ("stacks", "constructs_lib", "tests", "security", "costs", "release", "docs", "sandbox")


def effective_context() -> dict[str, Any]:
    """The context main.py reads here: CDKTF_CONTEXT_JSON if set, else cdktf.json's."""
    return overrides.read_context(PROJECT_DIR)


def _effective_differs() -> bool:
    try:
        return config.load(effective_context()) != config.load({})
    except ConfigError:
        return True  # the effective build's fixture reports the error


CONFIGURATIONS = ["defaults", "effective"] if _effective_differs() else ["defaults"]
EXAMPLES_DIR = PROJECT_DIR / "examples"
EXAMPLES = sorted(path.parent.name for path in EXAMPLES_DIR.glob("*/cdktf.json"))
"""The team contexts of examples/ (tests/test_examples.py names them; a project copy has none: it runs the core checks
for its own context)."""


def example_context(name: str) -> dict[str, Any]:
    """The context of examples/<name>/cdktf.json, read the way main.py reads a project's (CDKTF_CONTEXT_JSON aside)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(overrides.CONTEXT_ENV, raising=False)
        return overrides.read_context(EXAMPLES_DIR / name)


def copy_project(target: Path, context: dict[str, Any] | None = None) -> Path:
    """A copy of what synthesizing and the tests need, with ``context`` in its cdktf.json when given."""
    for name in PROJECT_FOLDERS:
        shutil.copytree(PROJECT_DIR / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in PROJECT_FILES:
        shutil.copy(PROJECT_DIR / name, target / name)
    if context is not None:
        document = json.loads((PROJECT_DIR / "cdktf.json").read_text())
        (target / "cdktf.json").write_text(json.dumps({**document, "context": context}, indent=2))
    return target


def subprocess_environment(*, keep_context: bool = False) -> dict[str, str]:
    """The caller's environment without an output folder of its own (and without overrides unless kept), no telemetry."""
    dropped = {"CDKTF_OUTDIR"} | (set() if keep_context else {overrides.CONTEXT_ENV})
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    return {**env, "CHECKPOINT_DISABLE": "1"}


class Background:
    """A command started when the session starts, so it runs on the second core while the tests run."""

    def __init__(self, command: list[str], outdir: Path, env: dict[str, str], cwd: Path = PROJECT_DIR) -> None:
        self.outdir = outdir
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )

    def stop(self) -> None:
        """Ends the command and everything it started (the CLI runs pipenv, which runs python). SIGTERM first, for a
        command that ends process groups of its own (tests/emulator/lifecycle.py), then SIGKILL."""
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()

    def result(self, timeout_seconds: float = 900) -> subprocess.CompletedProcess[str]:
        stdout, stderr = self.process.communicate(timeout=timeout_seconds)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, stdout, stderr)


BACKGROUND = pytest.StashKey[dict[str, Background]]()
SUMMARY = pytest.StashKey[list[str]]()
"""Lines for the end of the session's report (e.g. what checkov scanned)."""
FIXTURE_OF_RUN = {
    "lazy": "main_runs",
    "eager": "main_runs",
    "synth": "cli_runs",
    "realistic": "realistic_run",
    "emulated": "emulated_run",
    "sandbox": "sandbox_run",
}
EMULATOR = pytest.StashKey["Emulator | None"]()
NODE_DEBUG = {"NODE_DEBUG": "wallet"}  # the Node load hook says on stderr what it did (stacks/lazy_aws_bindings.cjs)


def _cli_run(base: Path) -> Background:
    """`cdktf synth` as users run it. The CLI reads the context from cdktf.json only (it overwrites CDKTF_CONTEXT_JSON
    with it), so a CDKTF_CONTEXT_JSON of the caller is handed to it as the cdktf.json of a project copy that shares
    this project's Pipfile and virtual environment."""
    cwd, env = PROJECT_DIR, subprocess_environment()
    if overrides.CONTEXT_ENV in os.environ:
        cwd = copy_project(base / "cli-project", effective_context())
        env["PIPENV_PIPFILE"] = str(PROJECT_DIR / "Pipfile")
    command = ["nice", "-n", "10", str(CDKTF_CLI), "synth", "--output", str(base / "synth")]
    return Background(command, base / "synth", env, cwd)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Starts, before collection (which imports cdktf and the bindings: seconds the subprocesses can use):

    * ``lazy`` and ``eager``: `python main.py` with the effective context, with the lazy AWS bindings on both sides
      (Python and Node) and with the eager import on both (WALLET_EAGER_AWS_IMPORT=1); their output must be byte for
      byte the same, and the same as the in-process effective build;
    * ``synth``: `cdktf synth` of the real CLI as users run it (app `pipenv run python main.py`), at lower priority;
    * ``realistic``: the suite's core checks in a copy of the project with a realistic team context in cdktf.json;
    * ``emulated``: every stack's life in the emulated AWS account (tests/emulator/lifecycle.py), whose server runs
      until the session ends;
    * ``sandbox``: `pipenv run sandbox` as a user drives it, with a first deploy of dev (tests/emulator/sandbox_run.py).
    """
    session.config.stash[EMULATOR] = None
    if os.environ.get(BACKGROUND_ENV) == "0":
        session.config.stash[BACKGROUND] = {}
        return
    base = session.config._tmp_path_factory.mktemp("background")  # type: ignore[attr-defined]
    main_env = {**subprocess_environment(keep_context=True), **NODE_DEBUG}
    runs = {
        "lazy": Background([sys.executable, "main.py"], base / "lazy", {**main_env, "CDKTF_OUTDIR": str(base / "lazy")}),
        "eager": Background(
            [sys.executable, "main.py"], base / "eager", {**main_env, runtime.EAGER_ENV: "1", "CDKTF_OUTDIR": str(base / "eager")}
        ),
    }
    if CDKTF_CLI.exists():  # not installed: the tests that need it fail and say how
        runs["synth"] = _cli_run(base)
    from tests.test_realistic_context import start_realistic_run

    runs["realistic"] = start_realistic_run(base / "realistic")
    if os.environ.get(EMULATOR_ENV) == "0":  # `pipenv run bench`'s "offline" run: the suite without the emulator
        session.config.stash[BACKGROUND] = runs
        return
    emulator = session.config.stash[EMULATOR] = Emulator(base / "emulator.log")
    emulator.wait_until_up()
    lifecycle = [sys.executable, "-m", "tests.emulator.lifecycle", emulator.account.endpoint, str(base / "emulated")]
    runs["emulated"] = Background(lifecycle, base / "emulated", subprocess_environment())
    sandbox = [sys.executable, "-m", "tests.emulator.sandbox_run", str(base / "sandbox")]
    runs["sandbox"] = Background(sandbox, base / "sandbox", subprocess_environment())
    session.config.stash[BACKGROUND] = runs


OFFLINE_ONLY_ENV = "WALLET_TEST_OFFLINE_ONLY"
"""1: deselect (pytest reports how many) the tests that need a background run, for `pipenv run mutate`, whose
mutants run only what needs no subprocess of the session (scripts/mutate.py); BACKGROUND_ENV is then 0 as well."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(OFFLINE_ONLY_ENV) != "1":
        return
    background = set(FIXTURE_OF_RUN.values()) | {"emulator"}
    deselected = [item for item in items if background & set(getattr(item, "fixturenames", ()))]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stops the runs no collected test needs (e.g. `pipenv run scan`)."""
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    runs = session.config.stash[BACKGROUND]
    for name, fixture in FIXTURE_OF_RUN.items():
        if name in runs and fixture not in needed:
            runs.pop(name).stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A run whose test did not wait for it (deselected by -k, or after -x stopped the session) ends with the session."""
    for run in session.config.stash.get(BACKGROUND, {}).values():
        if run.process.poll() is None:
            run.stop()
    if (emulator := session.config.stash.get(EMULATOR, None)) is not None:
        emulator.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for line in config.stash.get(SUMMARY, []):
        terminalreporter.write_line(line)


def pytest_report_header(config: pytest.Config) -> str:
    context = {key: sorted(value) for key, value in effective_context().items() if isinstance(value, dict)}
    source = overrides.CONTEXT_ENV if overrides.CONTEXT_ENV in os.environ else "cdktf.json"
    if len(CONFIGURATIONS) == 1:
        return f"configuration under test: defaults ({source} context changes nothing)"
    fields = "; ".join(f"{stack}: {', '.join(names)}" for stack, names in context.items())
    return f"configuration under test: defaults, and effective from {source} ({fields})"


@pytest.fixture(scope="session")
def main_runs(request: pytest.FixtureRequest) -> dict[str, Background]:
    """`python main.py` with the lazy bindings ("lazy") and with the eager import on both sides ("eager")."""
    runs = request.config.stash[BACKGROUND]
    return {name: runs[name] for name in ("lazy", "eager")}


@pytest.fixture(scope="session")
def cli_runs(request: pytest.FixtureRequest) -> dict[str, Background]:
    runs = request.config.stash[BACKGROUND]
    assert "synth" in runs, f"the cdktf CLI is not installed at {CDKTF_CLI}: run `pipenv run setup-cli`"
    return runs


@pytest.fixture(scope="session")
def emulated_run(request: pytest.FixtureRequest) -> Background:
    runs = request.config.stash[BACKGROUND]
    assert "emulated" in runs, f"the emulated account was not started ({BACKGROUND_ENV}=0 or {EMULATOR_ENV}=0)"
    return runs["emulated"]


@pytest.fixture(scope="session")
def sandbox_run(request: pytest.FixtureRequest) -> Background:
    runs = request.config.stash[BACKGROUND]
    assert "sandbox" in runs, f"the sandbox run was not started ({BACKGROUND_ENV}=0 or {EMULATOR_ENV}=0)"
    return runs["sandbox"]


@pytest.fixture(scope="session")
def emulator(request: pytest.FixtureRequest) -> Account:
    """The emulated AWS account the lifecycle ran in (sandbox/account.py)."""
    running = request.config.stash[EMULATOR]
    assert running is not None, f"the emulator was not started ({BACKGROUND_ENV}=0 or {EMULATOR_ENV}=0)"
    return running.account


@pytest.fixture(scope="session")
def realistic_run(request: pytest.FixtureRequest) -> Background:
    return request.config.stash[BACKGROUND]["realistic"]


@dataclass(frozen=True)
class Build:
    """One configuration of every stack, synthesized."""

    label: str
    outdir: Path
    synthesized: dict[str, str]
    """Stack name -> the cdk.tf.json text, as the Testing matchers take it."""
    parsed: dict[str, dict[str, Any]]


def build(label: str, configs: list[config.EnvironmentConfig], outdir: Path) -> Build:
    from stacks.app import build_app

    build_app(configs, outdir=str(outdir)).synth()
    # ALL_STACKS, then the roles stacks of environments in accounts of their own (wallet-roles-<account>)
    names = [*ALL_STACKS, *sorted(path.parent.name for path in (outdir / "stacks").glob("wallet-roles-*/cdk.tf.json"))]
    synthesized = {name: (outdir / "stacks" / name / "cdk.tf.json").read_text() for name in names}
    parsed = {name: json.loads(text) for name, text in synthesized.items()}
    return Build(label, outdir, synthesized, parsed)


@pytest.fixture(scope="session")
def defaults_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build("defaults", config.load({}), tmp_path_factory.mktemp("defaults") / "cdktf.out")


@pytest.fixture(scope="session")
def effective_build(tmp_path_factory: pytest.TempPathFactory, defaults_build: Build) -> Build:
    if len(CONFIGURATIONS) == 1:
        return defaults_build
    return build("effective", config.load(effective_context()), tmp_path_factory.mktemp("effective") / "cdktf.out")


@pytest.fixture(scope="session")
def example_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """Example name -> every stack of its context, synthesized once (about 2 s each)."""
    return {
        name: build(f"example-{name}", config.load(example_context(name)), tmp_path_factory.mktemp(f"example-{name}") / "cdktf.out")
        for name in EXAMPLES
    }


@pytest.fixture(params=CONFIGURATIONS)
def any_build(request: pytest.FixtureRequest) -> Build:
    """Parametrizes a test over the defaults and, when the context changes anything, the effective configuration."""
    return request.getfixturevalue(f"{request.param}_build")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def synth_dir(defaults_build: Build) -> Path:
    return defaults_build.outdir


@pytest.fixture(scope="session")
def synthesized(defaults_build: Build) -> dict[str, str]:
    """Stack name -> the defaults' cdk.tf.json text."""
    return defaults_build.synthesized


@pytest.fixture(scope="session")
def parsed(defaults_build: Build) -> dict[str, dict[str, Any]]:
    """Stack name -> the defaults' Terraform JSON."""
    return defaults_build.parsed


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
    "container_port": 9090,
    "deployment_bake_minutes": 20,
    "db_apply_immediately": False,
}


@pytest.fixture(scope="session")
def customized() -> dict[str, Any]:
    """wallet-staging with CUSTOMIZED applied, parsed."""
    from tests.helpers import synth_environment

    return synth_environment("wallet-staging", CUSTOMIZED)


@pytest.fixture(params=ENV_STACKS)
def env_stack(request: pytest.FixtureRequest) -> str:
    """Parametrizes a test over every environment's stack."""
    return str(request.param)
