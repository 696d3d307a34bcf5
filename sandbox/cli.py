"""The sandbox: the emulated AWS account of the tests, for anyone, without an AWS account (docs/sandbox.md).

    pipenv run sandbox up [--port N]     start it in the background, seeded as Runbook 2 expects, with the state
                                         bucket of Runbook 1; print how to point a shell at it
    pipenv run sandbox env               the shell lines that point a shell at it: eval "$(pipenv run sandbox env)"
    pipenv run sandbox status            what runs (exit 1: nothing)
    pipenv run sandbox down              stop it and remove what it wrote
    pipenv run sandbox tour [<env>]      up, the first deploy of <env> (default dev), a release, a re-plan, the destroy
                                         the tier allows, down; a summary table (sandbox/tour.py)

Everything it writes is in one folder, .sandbox/ in the project (WALLET_SANDBOX names another): the server's log, the
logs of its steps, and project/, the copy of the project the commands run in (its cdktf.json's context is the
project's, made true of the emulated account). Nothing in the stacks or the scripts knows about it: the commands reach
it through the variables `env` prints, as the tests' do (sandbox/account.py). Errors are one line and a non-zero exit:
2 for a wrong command or input, 1 for what failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import sys
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from sandbox import account, provider, steps
from sandbox.steps import PROJECT_DIR
from stacks import config, overrides
from stacks.errors import ConfigError

HOME_ENV = "WALLET_SANDBOX"
"""The sandbox's folder (default: .sandbox in the project); `env` exports it, so the commands in its copy find it."""
STATE_FILE = "sandbox.json"
UNSET = ("CDKTF_CONTEXT_JSON", "CDKTF_OUTDIR")
"""Besides the AWS settings: a context or output folder of the caller's would bypass the copy's."""
ALLOWLIST = Path(__file__).resolve().parent / "allowlist.toml"


class SandboxError(Exception):
    """One line for the user; ``status`` the exit code (2: their input, 1: what failed)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def home() -> Path:
    return Path(os.environ[HOME_ENV]).absolute() if os.environ.get(HOME_ENV) else PROJECT_DIR / ".sandbox"


@dataclass(frozen=True)
class Running:
    """What `up` recorded in <home>/sandbox.json."""

    pid: int
    endpoint: str
    project: str
    """The project copy the commands run in."""
    checkout: str
    """The project it copied."""
    state_bucket: str
    provider: str
    variables: dict[str, str]
    """What `env` exports (values) and unsets (the AWS settings of the caller's)."""
    started: float

    @staticmethod
    def read(folder: Path) -> Running | None:
        try:
            return Running(**json.loads((folder / STATE_FILE).read_text()))
        except (FileNotFoundError, TypeError, ValueError):
            return None

    def write(self, folder: Path) -> None:
        (folder / STATE_FILE).write_text(json.dumps(asdict(self), indent=1))

    @property
    def alive(self) -> bool:
        """The server still runs (its process, not another one that took its pid)."""
        try:
            return "sandbox.server" in Path(f"/proc/{self.pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False


def stop(folder: Path, running: Running | None) -> None:
    """Stops the server (stop_server_of) and removes ``folder``."""
    if running is not None:
        stop_server_of(running)
    shutil.rmtree(folder, ignore_errors=True)


def stop_server_of(running: Running) -> None:
    """Stops the server's process group: SIGTERM, then SIGKILL after 10 s."""
    if not running.alive:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(running.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while running.alive and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(running.pid, signal.SIGKILL)


def start(folder: Path, port: int | None, *, log: Callable[[str], None] = lambda line: None) -> tuple[Running, Callable[[], None]]:
    """`up`: the server, the seeded account, the project copy and Runbook 1's state bucket, recorded in
    <folder>/sandbox.json. Returns once the bucket exists, with a function that waits for the rest of Runbook 1's
    apply (its lifecycle rules take the provider about a minute) and raises SandboxError where it failed. ``log(line)``
    tells each part as it ends. Raises SandboxError; on any failure the server is stopped again (the step logs stay in
    ``folder``, which the caller removes or keeps)."""
    configs = project_configs()
    if shutil.which("terraform") is None:
        raise SandboxError("terraform: not on the PATH; install Terraform 1.11 or later (docs/development.md#set-up)", 2)
    folder.mkdir(parents=True)
    try:
        emulator = account.Emulator(folder / "server.log", port)
    except account.PortTakenError:
        shutil.rmtree(folder)
        raise SandboxError(f"--port: {port} is in use; give another, or leave --port out for a free one", 2) from None
    started: tuple[Running, Callable[[], None]] | None = None
    try:
        try:
            emulator.wait_until_up()
        except RuntimeError:
            raise SandboxError(f"the emulator did not start; its log: {folder / 'server.log'}") from None
        os.environ["NO_PROXY"] = os.environ["no_proxy"] = account.no_proxy()  # the seeding's boto3: straight to the emulator
        seeded = account.seed(emulator.account, configs)
        context = account.sandbox_context(overrides.read_context(PROJECT_DIR), configs, seeded, emulator.account)
        project = steps.project_copy(folder / "project", context)
        log(f"emulated account at {emulator.account.endpoint}, seeded for {', '.join(c.environment for c in configs)}")
        started = _bootstrap(folder, project, emulator, config.load(context)[0])
        log(f"state bucket {started[0].state_bucket} (Runbook 1), hashicorp/aws {started[0].provider}")
        return started
    finally:
        if started is None:
            stop_server(emulator)


def stop_server(emulator: account.Emulator) -> None:
    with contextlib.suppress(ProcessLookupError):
        emulator.stop()


def project_configs() -> list[config.EnvironmentConfig]:
    try:
        configs = config.load(overrides.read_context(PROJECT_DIR))
    except ConfigError as error:
        raise SandboxError(f"the project's context: {error}", 2) from None
    if any(c.account_id for c in configs):
        raise SandboxError(
            "the project's context gives its environments accounts of their own (account_id), which the sandbox does not "
            "emulate yet; the tests deploy examples/accounts that way (tests/emulator/accounts.py, docs/accounts.md)",
            2,
        )
    return configs


def _bootstrap(
    folder: Path, project: Path, emulator: account.Emulator, first: config.EnvironmentConfig
) -> tuple[Running, Callable[[], None]]:
    """Runbook 1 in the copy: synthesis, then init and apply of wallet-state with the provider chosen for this machine
    (in a thread of its own: see start); ``first``: the copy's first environment, whose state settings all share."""
    logs = folder / "logs"
    logs.mkdir()
    synth = steps.synthesize(project, log_dir=logs)
    if synth["returncode"] != 0:
        raise SandboxError(f"the project did not synthesize; its log: {synth['log']}")
    state_stack = project / steps.STATE_FOLDER
    pinned = provider.pinned_version(json.loads((state_stack / "cdk.tf.json").read_text()))
    choice = provider.choose(pinned, provider.mirrored_versions())
    provider.adapt(state_stack, choice)  # what startup/sitecustomize.py does after the commands' own synths
    variables = {
        **account.emulator_variables(
            emulator.account, choice, folder, PROJECT_DIR / "Pipfile", project / "sandbox" / "startup", shared=False
        ),
        HOME_ENV: str(folder),
        # For the AWS CLI and boto3 by hand (the stack's migration_command output is an `aws ecs run-task`): the first
        # environment's Region; the project's commands take each environment's own from the configuration.
        "AWS_DEFAULT_REGION": first.region,
    }
    env = command_environment(variables)
    pool = ThreadPoolExecutor(max_workers=1)
    applying = pool.submit(steps.bootstrap_state, project, env, log_dir=logs)
    pool.shutdown(wait=False)
    bucket = first.state_bucket or config.state_bucket_name(account.ACCOUNT_ID, first.state_region)

    def finish() -> None:
        records, made = applying.result()
        if made is None:
            failed = records[-1]
            if failed["name"] == "state-init" and choice.mirror is None:
                searched = ", ".join(str(path) for path in provider.MIRRORS)
                raise SandboxError(
                    f"hashicorp/aws {pinned}: Terraform could not install it and no filesystem mirror has the provider "
                    f"(searched {searched}; {provider.MIRROR_ENV} names another); its log: {failed['log']}"
                )
            raise SandboxError(
                f"Runbook 1's {failed['name'].removeprefix('state-')} of {config.STATE_STACK} failed; its log: {failed['log']}"
            )
        if made != bucket:
            raise SandboxError(f"Runbook 1 made the state bucket {made}, not {bucket}; its log: {records[-1]['log']}")

    if not account.wait_for_bucket(emulator.account, bucket, first.state_region, until=applying.done):
        finish()  # raises: the apply ended without the bucket
        raise SandboxError(f"Runbook 1 did not make the state bucket {bucket}; its log: {logs / 'state-apply.log'}")
    # The copy's context names the bucket now, as Runbook 1 says to.
    document = json.loads((project / "cdktf.json").read_text())
    document["context"].setdefault(config.SHARED_KEY, {})["state_bucket"] = bucket
    (project / "cdktf.json").write_text(json.dumps(document, indent=2))
    running = Running(
        pid=emulator.process.pid,
        endpoint=emulator.account.endpoint,
        project=str(project),
        checkout=str(PROJECT_DIR),
        state_bucket=bucket,
        provider=f"{choice.version} ({'from ' + str(choice.mirror) if choice.mirror else 'from the registry'})",
        variables=variables,
        started=time.time(),
    )
    return running, finish


def shell_lines(running: Running) -> list[str]:
    """The lines `env` prints: unset the caller's AWS settings, export the sandbox's, cd into its copy."""
    return [
        f"# the wallet sandbox at {running.endpoint}: pipenv run sandbox down stops it",
        f"unset {' '.join(dict.fromkeys([*account.AWS_SETTINGS, *account.aws_settings_in(os.environ), *UNSET]))}",
        *(f"export {key}={shlex.quote(value)}" for key, value in sorted(running.variables.items())),
        f"cd {shlex.quote(running.project)}",
    ]


def cannot_show() -> list[str]:
    """What the emulator cannot show, from the reviewed allowlist: each entry's ``what``."""
    return [entry["what"] for entry in tomllib.loads(ALLOWLIST.read_text())["unverified"]]


def up(port: int | None) -> int:
    folder = home()
    refuse_if_running(folder)
    begun = time.monotonic()
    running: Running | None = None
    try:
        running, finish = start(folder, port, log=lambda line: print(line, flush=True))
        running.write(folder)
        finish()
    except SandboxError:  # the server is stopped; the logs the message names stay until `down` or the next `up`
        steps.stop_all()
        if running is not None:
            stop_server_of(running)
        raise
    except KeyboardInterrupt:
        steps.stop_all()
        stop(folder, running)
        raise
    print(
        f"sandbox up in {time.monotonic() - begun:.0f} s; image tags in ECR: {', '.join(account.RELEASES)}",
        'point a shell at it:   eval "$(pipenv run sandbox env)"   (it then works in the project\'s copy, ' + running.project + ")",
        "then, for example:     pipenv run deploy dev v1.2.3; pipenv run release dev v1.2.4; pipenv run sandbox down",
        "it cannot show (sandbox/allowlist.toml): " + "; ".join(cannot_show()),
        sep="\n",
    )
    return 0


def refuse_if_running(folder: Path) -> None:
    running = Running.read(folder)
    if running is not None and running.alive:
        raise SandboxError(f"a sandbox runs already at {running.endpoint} (pid {running.pid}); pipenv run sandbox down stops it")
    if folder.exists():  # a sandbox whose server ended (a failed tour's logs, a reboot): nothing of it runs
        print(f"removing {folder}: what a sandbox left that no longer runs", file=sys.stderr)
        shutil.rmtree(folder)


def command_environment(variables: dict[str, str]) -> dict[str, str]:
    """The caller's environment without the settings that would point the commands elsewhere (AWS_SETTINGS, UNSET),
    plus the sandbox's ``variables``: what `env` makes of a shell."""
    dropped = {*account.aws_settings_in(os.environ), *UNSET}
    return {key: value for key, value in os.environ.items() if key not in dropped} | variables


def _require_running() -> tuple[Path, Running]:
    folder = home()
    running = Running.read(folder)
    if running is None:
        raise SandboxError(f"no sandbox runs here (none recorded in {folder}); pipenv run sandbox up starts one")
    if not running.alive:
        raise SandboxError(
            f"the sandbox in {folder} no longer runs (its server ended: {folder / 'server.log'}); pipenv run sandbox down removes it"
        )
    return folder, running


def env() -> int:
    try:
        _, running = _require_running()
    except SandboxError:
        print("false")  # for `eval "$(pipenv run sandbox env)"`: it fails too, and the shell is left as it was
        raise
    print(*shell_lines(running), sep="\n")
    return 0


def status() -> int:
    folder, running = _require_running()
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = account.Account(running.endpoint).client("s3", "us-east-1")
    try:
        contents = s3.list_objects_v2(Bucket=running.state_bucket).get("Contents", [])
    except (BotoCoreError, ClientError) as error:
        raise SandboxError(f"the sandbox at {running.endpoint} does not answer ({error}); its log: {folder / 'server.log'}") from None
    states = []
    for key in sorted(item["Key"] for item in contents if item["Key"].endswith(".tfstate")):
        state = json.loads(s3.get_object(Bucket=running.state_bucket, Key=key)["Body"].read() or b"{}")
        states.append(f"{key} ({len(state.get('resources', []))} resources)")
    minutes = (time.time() - running.started) / 60
    print(
        f"sandbox up at {running.endpoint} for {minutes:.0f} min (pid {running.pid}, hashicorp/aws {running.provider})",
        f"project copy: {running.project}",
        f"state bucket {running.state_bucket}: {', '.join(states) or 'no environment deployed yet'}",
        f"logs: {folder / 'server.log'}, {folder / 'logs'}/",
        sep="\n",
    )
    return 0


def down() -> int:
    folder = home()
    running = Running.read(folder)
    if running is None and not folder.exists():
        raise SandboxError(f"no sandbox runs here (none recorded in {folder}); pipenv run sandbox up starts one")
    inside = Path.cwd().resolve().is_relative_to(folder.resolve())
    was_running = running is not None and running.alive
    stop(folder, running)
    print(
        f"stopped the sandbox at {running.endpoint} and removed {folder}"
        if was_running and running
        else f"removed {folder} (no sandbox ran there)"
    )
    if inside:
        checkout = running.checkout if running else PROJECT_DIR
        print(f"this shell's folder is gone and it still points at the sandbox: cd {checkout} and open a new shell")
    return 0


def port_number(text: str) -> int:
    """--port's value: a TCP port, 1-65535 (argparse turns the ValueError into its usage line and exit 2)."""
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(text)
    return port


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="pipenv run sandbox", description="An emulated AWS account to run the project's commands against."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start it")
    up_parser.add_argument("--port", type=port_number, help="the local port, 1-65535 (default: a free one)")
    commands.add_parser("env", help="the shell lines that point a shell at it")
    commands.add_parser("status", help="what runs")
    commands.add_parser("down", help="stop it, remove what it wrote")
    tour_parser = commands.add_parser("tour", help="the runbook end to end")
    tour_parser.add_argument("environment", nargs="?", default="dev", help="an environment of the table (default: dev)")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "up":
            return up(arguments.port)
        if arguments.command == "tour":
            from sandbox.tour import tour

            return tour(arguments.environment)
        return {"env": env, "status": status, "down": down}[arguments.command]()
    except SandboxError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print(f"interrupted: stopped the sandbox and removed {home()}", file=sys.stderr)
        return 130
