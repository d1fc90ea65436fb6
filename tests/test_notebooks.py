"""The notebooks: paired .py/.ipynb in sync, and papermill parameters validated.

Executing every notebook under the smoke profile is done by ``pytest --nbval-lax``
(see the Makefile's ``test`` target).
"""

from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("notebooks/*.py")) + sorted(ROOT.glob("book/*.py"))


def cell_sources(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.name)
def test_ipynb_is_in_sync_with_py(source):
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"{paired} missing: run `make sync`"
    assert cell_sources(jupytext.read(source)) == cell_sources(jupytext.read(paired)), \
        f"{paired.name} has drifted from {source.name}: run `make sync`"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.name)
def test_no_heading_is_lost_in_a_code_cell(source):
    """A markdown heading left as a comment in a code cell (a missing `# %% [markdown]`
    marker) would vanish from the page with the cell's hidden input."""
    lost = [line for c in jupytext.read(source).cells if c.cell_type == "code"
            for line in c.source.splitlines() if line.startswith("# #")]
    assert lost == [], f"{source.name}: headings inside code cells: {lost}"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_declares_profile(source):
    nb = jupytext.read(source)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "profile" in tagged[0].source



@pytest.mark.parametrize("param, value, message", [
    ("profile", "nosuch", "unknown profile 'nosuch'; accepted: smoke, cpu, paper"),
    ("dataset", "nosuch", "unknown dataset 'nosuch'; accepted: mnist7"),
])
def test_papermill_rejects_bad_parameters(tmp_path, param, value, message, papermill):
    run = papermill("notebooks/taylor_expansion.ipynb", "-p", param, value)
    assert run.returncode != 0
    assert message in run.stdout + run.stderr + (tmp_path / "out.ipynb").read_text()


def test_papermill_runs_the_chapter_under_smoke(tmp_path, papermill):
    run = papermill("notebooks/taylor_expansion.ipynb", "-p", "profile", "smoke")
    assert run.returncode == 0, run.stderr[-2000:]
    outputs = [o for c in jupytext.read(tmp_path / "out.ipynb").cells for o in c.get("outputs", [])]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4  # Figs. 2, 3, 13, curves
    assert not any(o.get("output_type") == "error" for o in outputs)
