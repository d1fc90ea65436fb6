"""pyproject.toml is the source of dependencies; environment.yml must list the same."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}


def split(requirement: str):
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower(), spec.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = dict(split(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"])
    pip = {CONDA_NAMES.get(k, k): v for k, v in pip.items()}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = [d for d in env["dependencies"] if isinstance(d, str)]
    listed += [d.split("#")[0] for group in env["dependencies"] if isinstance(group, dict) for d in group["pip"]]
    conda = dict(split(d) for d in listed if not d.startswith(("python", "pip")))
    assert conda == pip
