"""pyproject.toml declares what requirements*.txt pin (the README's commands and the Space use those files, pip
install uses pyproject), and packs every file the package reads besides its modules."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins(name: str) -> list[str]:
    """A requirements file's own pins ("name==version"), without its comments and -r includes."""
    lines = (line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-r")]


def test_the_dependencies_are_the_requirements_files_pins():
    project = PROJECT["project"]
    assert project["dependencies"] == pins("requirements.txt")
    assert project["optional-dependencies"]["hub"] == pins("requirements-hub.txt")
    dev = project["optional-dependencies"]["dev"]
    assert dev == [f"{project['name']}[hub]", *pins("requirements-dev.txt")]  # -r requirements-hub.txt, as extra
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*", p) for p in project["dependencies"])


def test_every_file_the_package_reads_is_package_data():
    # (pyproject's patterns are relative to their package's folder; a package's data is its subfolders' too)
    data = {ROOT.joinpath(*key.split(".")): patterns for key, patterns in
            PROJECT["tool"]["setuptools"]["package-data"].items()}
    files = [p for p in (ROOT / "playground").rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert files  # explore.js, page.js
    for path in files:
        assert any(path.is_relative_to(folder) and fnmatch(path.relative_to(folder).as_posix(), pattern)
                   for folder, patterns in data.items() for pattern in patterns), path


def test_the_playground_command_is_the_console_module():
    assert PROJECT["project"]["scripts"] == {"playground": "playground.console:main"}
