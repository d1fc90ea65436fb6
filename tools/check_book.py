"""Check the built HTML book as a reader meets it, in headless Chromium.

    python tools/check_book.py [_build/html]

Fails (exit 1, one line per problem) when a page has
- an internal link to a page or anchor that does not exist,
- an image that does not load (checked in the browser: ``naturalWidth == 0``),
- a Python traceback or an error output in a cell,
- fewer figures than its notebook draws (each code cell with a line ``fig = ...`` must
  show an image),
- equations that MathJax did not render (checked in the browser).
A screenshot of every page goes to ``<build>/../screenshots/<page>.png``.

Static checks need only the HTML; the browser checks need Debian's ``chromium`` and
``chromium-driver`` (the Makefile installs them) and Selenium.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

SKIP_PAGES = {"genindex.html", "search.html", "index.html"}  # index.html is a redirect
ERROR_MARKERS = ("Traceback (most recent call last)", "output error", "output traceback")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic")


class _Page(HTMLParser):
    """Links, anchors, images and output cells of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links, self.ids, self.images, self.classes = [], set(), [], []
        self.output_images = 0
        self._output_depth = 0
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._depth += 1
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        cls = attrs.get("class") or ""
        self.classes.append(cls)
        if "cell_output" in cls.split() and not self._output_depth:
            self._output_depth = self._depth
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
            if self._output_depth:
                self.output_images += 1

    def handle_endtag(self, tag):
        if self._output_depth == self._depth:
            self._output_depth = 0
        self._depth -= 1


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def pages(html_dir: Path) -> list[Path]:
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.name not in SKIP_PAGES and "_static" not in p.parts and "_sources" not in p.parts)


def expected_figures(html_dir: Path, page: Path, source_root: Path | None) -> int:
    """Code cells of the page's notebook with a ``fig = ...`` line."""
    if source_root is None:
        return 0
    notebook = source_root / page.relative_to(html_dir).with_suffix(".ipynb")
    if not notebook.exists():
        return 0
    cells = json.loads(notebook.read_text())["cells"]
    return sum(1 for c in cells if c["cell_type"] == "code"
               and re.search(r"^fig\s*=", "".join(c["source"]), re.MULTILINE))


def static_problems(html_dir: Path, source_root: Path | None = None) -> list[str]:
    problems = []
    parsed = {p: _parse(p) for p in pages(html_dir)}
    for path, page in parsed.items():
        name = path.relative_to(html_dir).as_posix()
        for href in page.links:
            url = urlparse(href)
            if url.scheme or href.startswith(("mailto:", "//")):
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            if not target.exists():
                problems.append(f"{name}: broken link {href!r}")
                continue
            if url.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if url.fragment not in ids:
                    problems.append(f"{name}: link {href!r} points at a missing anchor")
        for src in page.images:
            url = urlparse(src)
            if not src or (not url.scheme and not (path.parent / unquote(url.path)).exists()):
                if not src.startswith("data:"):
                    problems.append(f"{name}: image {src!r} not found")
        text = path.read_text(encoding="utf-8")
        for marker in ERROR_MARKERS:
            if marker in text or any(marker in cls for cls in page.classes):
                problems.append(f"{name}: shows an error output ({marker!r})")
                break
        wanted = expected_figures(html_dir, path, source_root)
        if page.output_images < wanted:
            problems.append(f"{name}: {page.output_images} figure(s) shown, its notebook draws {wanted}")
    return problems


def browser_problems(html_dir: Path, screenshots: Path, chromium: str = "/usr/bin/chromium",
                     chromedriver: str = "/usr/bin/chromedriver") -> list[str]:
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='cgbook-chromium-')}")
    options.add_argument("--window-size=1280,900")
    options.add_argument("--allow-file-access-from-files")
    screenshots.mkdir(parents=True, exist_ok=True)
    problems = []
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_script_timeout(30)
    try:
        for path in pages(html_dir):
            name = path.relative_to(html_dir).as_posix()
            driver.get(path.resolve().as_uri())
            # Wait for MathJax (if the page has it) to typeset, then look for raw LaTeX.
            unrendered = driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "const count = () => Array.from(document.querySelectorAll('.math'))"
                "  .filter(e => !e.querySelector('mjx-container')).length;"
                "if (window.MathJax && MathJax.startup && MathJax.startup.promise) {"
                "  MathJax.startup.promise.then(() => done(count()), () => done(count()));"
                "} else { done(count()); }")
            if unrendered:
                problems.append(f"{name}: {unrendered} equation(s) not rendered by MathJax")
            broken = driver.execute_script(
                "return Array.from(document.images)"
                ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
            problems += [f"{name}: image does not load in the browser: {src}" for src in broken]
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(1280, min(max(height, 900), 16000))
            driver.save_screenshot(str(screenshots / (name.replace("/", "__")[:-5] + ".png")))
    finally:
        driver.quit()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", nargs="?", default="_build/html", type=Path)
    parser.add_argument("--source-root", default=".", type=Path,
                        help="where the book's notebooks are, to count the figures they draw")
    parser.add_argument("--no-browser", action="store_true", help="static checks only")
    args = parser.parse_args(argv)
    if not args.html_dir.is_dir():
        print(f"no built book at {args.html_dir}: run `make book` first", file=sys.stderr)
        return 2
    problems = static_problems(args.html_dir, args.source_root)
    screenshots = args.html_dir.parent / "screenshots"
    if not args.no_browser:
        problems += browser_problems(args.html_dir, screenshots)
    checked = len(pages(args.html_dir))
    for line in problems:
        print(f"FAIL {line}")
    print(f"{checked} pages checked, {len(problems)} problem(s)"
          + ("" if args.no_browser else f"; screenshots in {screenshots}"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
