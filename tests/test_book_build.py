"""The book's build: the pages the Makefile executes are the pages _toc.yml renders, and
the page executor refuses parameters a notebook does not declare."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_files(node) -> list[str]:
    files = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                files.append(node[key])
        for value in node.values():
            files += toc_files(value)
    elif isinstance(node, list):
        for item in node:
            files += toc_files(item)
    return files


def test_every_executed_page_is_in_the_toc_and_back():
    made = subprocess.run(["make", "-s", "--no-print-directory", "list-pages"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.split()
    toc = toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    assert sorted(made) == sorted(f"{f}.ipynb" for f in toc)
    assert {"pages/taylornet_mnist.ipynb", "pages/taylornet_mnist7.ipynb", "pages/taylornet_cifar10.ipynb"} <= set(made)


def test_page_executor_rejects_undeclared_parameters(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "execute_page.py"),
                          str(ROOT / "notebooks" / "taylornet.ipynb"), str(tmp_path / "page.ipynb"), "datset=mnist7"],
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "has no parameter(s) ['datset']; it declares ['dataset', 'profile', 'recompute']" in out.stderr
    assert not (tmp_path / "page.ipynb").exists()


@pytest.mark.parametrize("bad", ["dataset", "1x=2"])
def test_page_parameters_are_name_value_pairs(bad):
    sys.path.insert(0, str(ROOT / "tools"))
    from execute_page import parse_parameters

    with pytest.raises(SystemExit, match="parameters are name=value pairs"):
        parse_parameters([bad])
