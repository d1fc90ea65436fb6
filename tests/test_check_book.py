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
    assert check_book.static_problems(html, src) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda h: (h / "intro.html").write_text(page('<a href="nowhere.html">x</a>')), "broken link"),
    (lambda h: (h / "intro.html").write_text(page('<a href="notebooks/ch.html#gone">x</a>')), "missing anchor"),
    (lambda h: (h / "intro.html").write_text(page('<img src="missing.png">')), "image 'missing.png' not found"),
    (lambda h: (h / "intro.html").write_text(page(
        '<div class="cell_output"><pre>Traceback (most recent call last):\nValueError</pre></div>')),
     "error output"),
    (lambda h: (h / "notebooks" / "ch.html").write_text(page('<section id="sec"></section>')),
     "0 figure(s) shown, its notebook draws 1"),
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
