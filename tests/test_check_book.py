"""The book checker must catch a deliberately broken page (tools/check_book.py)."""

import base64
import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import check_book  # noqa: E402

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def page(body: str) -> str:
    return f"<html><body>{body}</body></html>"


@pytest.fixture
def book(tmp_path):
    html = tmp_path / "html"
    (html / "notebooks").mkdir(parents=True)
    (html / "fig.png").write_bytes(PNG)
    (html / "intro.html").write_text(page('<h1 id="top">Intro</h1><a href="notebooks/ch.html#sec">ch</a>'
                                          '<img src="fig.png"><a href="https://example.org">out</a>'))
    (html / "notebooks" / "ch.html").write_text(page(
        '<section id="sec"><div class="cell_output"><img src="../fig.png"></div></section>'
        '<a href="../intro.html#top">back</a>'))
    src = tmp_path / "src" / "notebooks"
    src.mkdir(parents=True)
    (src / "ch.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["fig = plots.order_sweep(result)\n"]}]}))
    return html, tmp_path / "src"


def test_a_good_book_passes(book):
    html, src = book
    (html / "intro.html").write_text(page('<h1 id="top">Intro</h1><p>rendered: <span class="math">\\(x^2\\)</span></p>'
                                          '<pre>cost = $5 or $6</pre><a href="notebooks/ch.html#sec">ch</a>'))
    assert check_book.static_problems(html, src) == []


def test_a_result_from_a_dirty_tree_is_reported(tmp_path):
    clean = {"manifest": {"git": {"commit": "abc", "dirty": False}}, "result": {}}
    (tmp_path / "a.json").write_text(json.dumps(clean))
    assert check_book.dirty_results(tmp_path) == []
    (tmp_path / "b.json").write_text(json.dumps({**clean, "manifest": {"git": {"commit": "def", "dirty": True}}}))
    assert check_book.dirty_results(tmp_path) == [
        f"{tmp_path / 'b.json'}: computed from a dirty working tree (commit def); recompute it from a clean commit"]


@pytest.mark.parametrize("breakage, expected", [
    (lambda h: (h / "intro.html").write_text(page('<a href="nowhere.html">x</a>')), "broken link"),
    (lambda h: (h / "intro.html").write_text(page('<a href="notebooks/ch.html#gone">x</a>')), "missing anchor"),
    (lambda h: (h / "intro.html").write_text(page('<img src="missing.png">')), "image 'missing.png' not found"),
    (lambda h: (h / "intro.html").write_text(page(
        '<div class="cell_output"><pre>Traceback (most recent call last):\nValueError</pre></div>')),
     "error output"),
    (lambda h: (h / "notebooks" / "ch.html").write_text(page('<section id="sec"></section>')),
     "0 figure(s) shown, its notebook draws 1"),
    (lambda h: (h / "intro.html").write_text(page('<p>the weight $W_{ij}$ of a term</p>')),
     "raw LaTeX in the text: '$W_{ij}$'"),
    (lambda h: (h / "intro.html").write_text(page('<p>half is \\frac{1}{2}</p>')), "raw LaTeX in the text"),
    (lambda h: (h / "intro.html").write_text(page('<pre>&lt;IPython.core.display.Markdown object&gt;</pre>')),
     "shows an object's repr instead of its content"),
])
def test_each_breakage_is_reported(book, breakage, expected):
    html, src = book
    breakage(html)
    problems = check_book.static_problems(html, src)
    assert any(expected in p for p in problems), problems


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                    reason="Debian chromium/chromium-driver not installed (make setup installs them)")
def test_browser_sees_an_image_that_does_not_load_and_takes_screenshots(book, tmp_path):
    html, _ = book
    (html / "fig.png").write_bytes(b"not a png")  # the file exists, so only a browser can tell
    (html / "notebooks" / "ch.html").write_text(page('<span class="math notranslate">\\(x^2\\)</span>'))
    problems = check_book.browser_problems(html, tmp_path / "shots")
    assert any("does not load" in p and "fig.png" in p for p in problems), problems
    assert any("notebooks/ch.html: 1 equation(s) not rendered" in p for p in problems), problems
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == ["intro.png", "notebooks__ch.png"]


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                    reason="Debian chromium/chromium-driver not installed (make setup installs them)")
def test_browser_sees_tall_pages_wide_tables_and_shrunk_figures(book, tmp_path):
    html, _ = book
    big = base64.b64encode((html / "fig.png").read_bytes()).decode()
    (html / "intro.html").write_text(page(
        '<article style="width: 600px"><table style="width: 900px"><tr><td>wide</td></tr></table>'
        '<pre style="overflow: auto">' + "x" * 400 + '</pre>'
        f'<div class="cell_output"><img src="data:image/png;base64,{big}" style="width: 10px; height: 1px">'
        '</div><div style="height: 3000px"></div></article>'))
    problems = check_book.browser_problems(html, tmp_path / "shots", max_height=2000)
    assert any("intro.html:" in p and "px tall at 1280 px, over the budget of 2,000" in p for p in problems)
    assert any("intro.html: wider than its column ('table: wide')" in p for p in problems), problems
    assert any("intro.html: wider than its column ('pre: xxx" in p for p in problems), problems
    assert not any("notebooks/ch.html" in p and "tall" in p for p in problems)
