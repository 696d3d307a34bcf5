"""The sandbox as a user drives it (docs/sandbox.md), recorded for tests/test_emulated_sandbox.py:

    python -m tests.emulator.sandbox_run <work folder>     # writes <work folder>/record.json

With WALLET_SANDBOX=<work folder>/sandbox, from the project's folder: `pipenv run sandbox up`, `up` again (refused),
then in shells that evaluated `pipenv run sandbox env`: `pipenv run preflight wallet-dev v1.2.3`, a first deploy of
dev by `pipenv run deploy dev v1.2.3`, `pipenv run rollback dev` (nothing in progress: refused); then `status`,
`down`, `down` again (refused). After each, the processes that still carry the sandbox's folder in their
environment or work in it, and after `up` the server's pid. A failed `up` or deploy ends the sequence (then `down`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from sandbox import account, cli, steps
from sandbox.steps import PROJECT_DIR

FIRST = account.RELEASES[0]


def processes_of(folder: Path) -> list[str]:
    """The processes (pid and command line) whose environment names ``folder`` as WALLET_SANDBOX or whose work folder
    is in it: what the sandbox started, and whatever its commands started."""
    marker = f"{cli.HOME_ENV}={folder}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            cwd = Path(os.readlink(proc / "cwd"))
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        if marker in environ or cwd.is_relative_to(folder):
            found.append(f"{proc.name} {command}")
    return found


def main(argv: list[str]) -> int:
    [work_folder] = argv
    work = Path(work_folder)
    work.mkdir(parents=True, exist_ok=True)
    folder = work / "sandbox"
    pipenv = account.pipenv()
    env = cli.command_environment({cli.HOME_ENV: str(folder), "PIPENV_VERBOSITY": "-1"})
    sandbox = [pipenv, "run", "sandbox"]
    pointed = f'eval "$({pipenv} run sandbox env)" && pwd && '  # a shell pointed at the sandbox, in its copy

    def shell(command: str) -> list[str]:
        return ["bash", "-c", pointed + command]

    sequence: list[tuple[str, list[str], bool]] = [  # name, command, whether a failure ends the sequence
        ("up", [*sandbox, "up"], True),
        ("up-again", [*sandbox, "up"], False),
        ("preflight", shell(f"{pipenv} run preflight wallet-dev {FIRST}"), False),
        ("deploy", shell(f"AUTO_APPROVE=1 {pipenv} run deploy dev {FIRST}"), True),
        ("rollback", shell(f"{pipenv} run rollback dev"), False),
        ("status", [*sandbox, "status"], False),
        ("down", [*sandbox, "down"], False),
        ("down-again", [*sandbox, "down"], False),
    ]
    records: list[dict[str, Any]] = []
    server_pid = None
    for name, command, ends in sequence:
        record = steps.run_step(name, command, PROJECT_DIR, env, log_dir=work)
        record["processes"] = processes_of(folder)
        if name == "up" and (running := cli.Running.read(folder)) is not None:
            server_pid = running.pid
        records.append(record)
        if ends and record["returncode"] != 0:
            records.append(steps.run_step("down", [*sandbox, "down"], PROJECT_DIR, env, log_dir=work))
            break
    (work / "record.json").write_text(json.dumps({"server_pid": server_pid, "folder": str(folder), "steps": records}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
