"""Running the project's own commands in a copy of the project, one step at a time, each with its log: what the
emulated-account tests (tests/emulator/lifecycle.py) and the sandbox's tour (sandbox/tour.py) share.

A step runs in a process group of its own, its output written to ``<folder>/<name>.log`` as it comes; ``stop_all``
ends every running step's group (a test session stopping early, a Ctrl-C in the tour).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from stacks import config

PROJECT_DIR = Path(__file__).resolve().parent.parent
STEP_TIMEOUT_SECONDS = 900
STATE_FOLDER = Path("cdktf.out") / "stacks" / config.STATE_STACK
PROJECT_FILES = ("main.py", "cdktf.json", "pyproject.toml")
PROJECT_FOLDERS = ("stacks", "constructs_lib", "costs", "release", "scripts", "sandbox")
"""What the project's commands need in a copy (the Pipfile and its environment are the project's own: PIPENV_PIPFILE)."""
Record = dict[str, Any]
RUNNING: set[subprocess.Popen[bytes]] = set()
"""The steps running now, each in a process group of its own (so that a timeout ends all it started)."""
STOPPED = threading.Event()
"""Set by stop_all: a step that would start afterwards (in another thread) does not."""


def stop_all() -> None:
    """Ends every running step's process group at once (SIGKILL: Terraform's own interrupt handling would wait), and
    keeps any other from starting."""
    STOPPED.set()
    for process in list(RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def run_step(name: str, command: list[str], cwd: Path, env: dict[str, str], *, log_dir: Path | None = None) -> Record:
    """Runs one command to its end (or STEP_TIMEOUT_SECONDS) in ``cwd``, its output written as it comes to
    ``<log_dir or cwd>/<name>.log`` (and with TF_LOG set, Terraform's log to ``<name>.tf.log`` beside it). The record:
    name, command, returncode (-1: timed out), seconds, output, log (the log's path)."""
    log = (log_dir or cwd) / f"{name}.log"
    if STOPPED.is_set():
        return {"name": name, "command": command, "returncode": -1, "seconds": 0.0, "output": "[not started: stopping]", "log": str(log)}
    if "TF_LOG" in env:
        env = {**env, "TF_LOG_PATH": str(log.with_suffix(".tf.log"))}
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        RUNNING.add(process)
        try:
            returncode = process.wait(timeout=STEP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            output.write(f"\n[timed out after {STEP_TIMEOUT_SECONDS} s]")
            returncode = -1
        except BaseException:  # a Ctrl-C while it runs: nothing it started outlives it
            stop_all()
            raise
        finally:
            RUNNING.discard(process)
    seconds = round(time.monotonic() - started, 1)
    return {"name": name, "command": command, "returncode": returncode, "seconds": seconds, "output": log.read_text(), "log": str(log)}


def project_copy(target: Path, context: dict[str, Any]) -> Path:
    """A copy of what the project's commands need (PROJECT_FILES, PROJECT_FOLDERS), ``context`` as its cdktf.json's
    context, and the project's cdktf CLI linked (tools/cdktf, installed by `pipenv run setup-cli`)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FOLDERS:
        shutil.copytree(PROJECT_DIR / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in PROJECT_FILES:
        shutil.copy(PROJECT_DIR / name, target / name)
    document = json.loads((PROJECT_DIR / "cdktf.json").read_text())
    (target / "cdktf.json").write_text(json.dumps({**document, "context": context}, indent=2))
    (target / "tools").mkdir()
    (target / "tools" / "cdktf").symlink_to(PROJECT_DIR / "tools" / "cdktf")
    return target


def synthesize(project: Path, *, log_dir: Path | None = None) -> Record:
    """Runbook 1's first step, `python main.py`, in ``project`` (a copy), with the caller's environment but for an
    output folder or context of its own."""
    plain = {key: value for key, value in os.environ.items() if key not in ("CDKTF_CONTEXT_JSON", "CDKTF_OUTDIR")}
    return run_step("synth", [sys.executable, "main.py"], project, plain, log_dir=log_dir)


def bootstrap_state(project: Path, env: dict[str, str], *, log_dir: Path | None = None) -> tuple[list[Record], str | None]:
    """The rest of Runbook 1 on a synthesized copy: init, apply and the state bucket's name from
    cdktf.out/stacks/wallet-state (None when a step failed: the records say which)."""
    folder = f"-chdir={STATE_FOLDER}"
    commands = [
        ("state-init", ["terraform", folder, "init", "-input=false", "-no-color"]),
        ("state-apply", ["terraform", folder, "apply", "-input=false", "-auto-approve", "-no-color"]),
        ("state-output", ["terraform", folder, "output", "-raw", "state_bucket_name"]),
    ]
    records = []
    for name, command in commands:
        records.append(run_step(name, command, project, env, log_dir=log_dir))
        if records[-1]["returncode"] != 0:
            return records, None
    return records, records[-1]["output"].strip()
