"""Which backend the suite tests, and what importing fastinit warned.

* ``pytest --backend numba`` (or ``--backend core``) runs every test on that backend;
  ``FASTINIT_BACKEND=numba pytest`` does the same through the package's own selection. Without
  either, the package's default: the compiled core when it imports, else Numba.
* fastinit is imported here first, recording its warnings (with the core missing, the fallback
  warns once; ``filterwarnings = error`` would turn that into a collection error). The
  ``import_warnings`` fixture hands them to tests/test_numba.py, which checks them.
"""

from __future__ import annotations

import os
import warnings

import pytest

with warnings.catch_warnings(record=True) as _caught:
    warnings.simplefilter("always")
    import fastinit  # noqa: E402

_IMPORT_WARNINGS = list(_caught)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("core", "numba"),
        default=None,
        help="fastinit backend for the whole run (default: the package's choice, "
        "FASTINIT_BACKEND or the core when it imports)",
    )


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("--backend")
    if name is not None:
        fastinit.set_backend(name)
    _require_integrations()


def _require_integrations() -> None:
    """FASTINIT_REQUIRE=torch,... (set by .ci/run): those packages must import, so that the
    tests of their integrations run instead of skipping (pytest.importorskip)."""
    import importlib

    missing = []
    for mod in filter(None, os.environ.get("FASTINIT_REQUIRE", "").split(",")):
        try:
            importlib.import_module(mod.strip())
        except ImportError as exc:
            missing.append(f"{mod.strip()} ({exc})")
    if missing:
        pytest.exit(
            f"FASTINIT_REQUIRE: cannot import {', '.join(missing)}; the tests of these "
            f"integrations would be skipped",
            returncode=3,
        )


def pytest_report_header(config: pytest.Config) -> str:
    info = fastinit.info()
    return f"fastinit backend: {info['backend']} ({info['simd']}), {info['threads']} threads"


@pytest.fixture(scope="session")
def import_warnings() -> list[warnings.WarningMessage]:
    """The warnings `import fastinit` gave in this process."""
    return list(_IMPORT_WARNINGS)


@pytest.fixture
def backend() -> str:
    """The backend this run tests (``"core"`` or ``"numba"``)."""
    return fastinit.info()["backend"]
