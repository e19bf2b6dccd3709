"""The shape of the code: data flows crawler → archive → search, and fixtures stay out.

Read from the source with :mod:`ast`, imports inside functions included, so
an arrow the wrong way fails here before anyone has to spot it in review.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("archive", "crawler", "extract", "places", "search", "dna")
#: A module past this many lines holds more than one job.
MAX_MODULE_LINES = 600

#: What each package must never import (top-level names).
FORBIDDEN = {
    "archive": {"crawler", "extract", "places", "search", "dna", "scrapy", "twisted", "whoosh"},
    "extract": {"crawler", "search", "dna", "scrapy", "twisted", "whoosh"},
    "places": {"crawler", "extract", "search", "dna", "scrapy", "twisted", "whoosh"},
    "search": {"crawler", "extract", "dna", "scrapy", "twisted"},
    "crawler": {"search", "dna", "whoosh"},
}
FIXTURES = {"sampleportal", "tests", "bench"}


def _modules(package: str) -> list[Path]:
    return sorted(path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts)


def _imported(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, anywhere in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_flow_one_way(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported(path) & FORBIDDEN[package])
        for path in _modules(package)
    }
    assert {path: names for path, names in wrong.items() if names} == {}


@pytest.mark.parametrize("package", SHIPPED)
def test_shipped_code_imports_no_fixture(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported(path) & FIXTURES)
        for path in _modules(package)
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_wheel_ships_no_fixture() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = config["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(str(ROOT), include=found["include"])
    assert {name.split(".")[0] for name in packages} == set(SHIPPED)


def test_no_shipped_module_does_several_jobs() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for package in SHIPPED
        for path in _modules(package)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
