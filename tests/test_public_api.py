"""The public names are the ones promised, and the pytest plugin stays cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import contract_tests
import mock_server


def test_every_exported_name_exists() -> None:
    for module in (mock_server, contract_tests):
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{module.__name__}.{name}"


def test_lazy_names_match_the_public_list() -> None:
    assert sorted(contract_tests._HOMES) == sorted(contract_tests.__all__)


@pytest.mark.slow
def test_the_plugin_imports_neither_flask_nor_schemathesis() -> None:
    probe = (
        "import sys, contract_tests.plugin;"
        "print(sorted(m for m in ('flask', 'schemathesis', 'openapi_core', 'mock_server')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
