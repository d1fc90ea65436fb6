"""Check the built HTML book as a reader meets it, in headless Chromium.

    python tools/check_book.py [_build/html]

Fails (exit 1, one line per problem) when a page has
- an internal link to a page or anchor that does not exist,
- an image that does not load (checked in the browser: ``naturalWidth == 0``),
- a Python traceback or an error output in a cell, or an object's repr where its content
  should be (an empty IPython Markdown object),
- fewer figures than its notebook draws (each code cell with a line ``fig = ...`` must
  show an image),
- equations that MathJax did not render (checked in the browser), or raw ``$...$`` /
  ``\frac`` left in its text,
- a page taller than the budget at 1280 px (``--max-height``), a table or code block wider
  than its column, an output image drawn at less than 0.6 of its natural width,
- a published result (``--results``) whose manifest says it was computed from a dirty tree.
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

MAX_HEIGHT = 12_000        # px at 1280 px wide
MIN_IMAGE_SCALE = 0.6
RAW_LATEX = re.compile(r"(?<![\\\w])\$[^$\n]{1,80}\$|\\frac\{")
SKIP_PAGES = {"genindex.html", "search.html", "index.html"}  # index.html is a redirect
# e.g. an empty IPython Markdown object, which a page shows as "<IPython.core.display.Markdown object>"
OBJECT_REPR = re.compile(r"&lt;IPython\.[\w.]+ object&gt;|<IPython\.[\w.]+ object>")
ERROR_MARKERS = ("Traceback (most recent call last)", "output error", "output traceback")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic")


class _Page(HTMLParser):
    """Links, anchors, images, output cells and the prose text of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links, self.ids, self.images, self.classes = [], set(), [], []
        self.text = []                  # text outside code, math and scripts
        self._skip_depth = 0
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
        if not self._skip_depth and (tag in ("script", "style", "pre", "code", "mjx-container", "math")
                                     or "math" in cls.split() or "highlight" in cls):
            self._skip_depth = self._depth

    def handle_endtag(self, tag):
        if self._output_depth == self._depth:
            self._output_depth = 0
        if self._skip_depth == self._depth:
            self._skip_depth = 0
        self._depth -= 1

    def handle_data(self, data):
        if not self._skip_depth:
            self.text.append(data)


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


def dirty_results(results: Path) -> list[str]:
    """Published results whose manifest says the code had uncommitted changes."""
    problems = []
    for path in sorted(results.glob("*.json")):
        manifest = json.loads(path.read_text()).get("manifest", {})
        if manifest.get("git", {}).get("dirty"):
            problems.append(f"{path}: computed from a dirty working tree (commit {manifest['git'].get('commit')}); "
                            f"recompute it from a clean commit")
    return problems


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
        if OBJECT_REPR.search(text):
            problems.append(f"{name}: shows an object's repr instead of its content "
                            f"({OBJECT_REPR.search(text).group(0)!r})")
        raw = RAW_LATEX.search(" ".join(page.text))
        if raw:
            problems.append(f"{name}: raw LaTeX in the text: {raw.group(0)!r}")
        wanted = expected_figures(html_dir, path, source_root)
        if page.output_images < wanted:
            problems.append(f"{name}: {page.output_images} figure(s) shown, its notebook draws {wanted}")
    return problems


def browser_problems(html_dir: Path, screenshots: Path, chromium: str = "/usr/bin/chromium",
                     chromedriver: str = "/usr/bin/chromedriver", max_height: int = MAX_HEIGHT) -> list[str]:
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
            driver.set_window_size(1280, 900)          # the last page's screenshot size must not count
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
            if height > max_height:
                problems.append(f"{name}: {height:,} px tall at 1280 px, over the budget of {max_height:,}")
            wide = driver.execute_script(
                "const article = document.querySelector('article') || document.body;"
                "const column = article.clientWidth;"
                "const shown = e => e.offsetParent !== null && e.clientWidth > 0;"
                "const tables = Array.from(article.querySelectorAll('table'))"
                "  .filter(t => shown(t) && t.getBoundingClientRect().width > column + 1);"
                "const pres = Array.from(article.querySelectorAll('pre'))"
                "  .filter(p => shown(p) && p.scrollWidth > p.clientWidth + 1);"
                "return tables.concat(pres).map(e => e.tagName.toLowerCase() + ': '"
                "  + e.innerText.slice(0, 40).replace(/\\s+/g, ' '));")
            problems += [f"{name}: wider than its column ({w!r})" for w in wide]
            shrunk = driver.execute_script(
                f"return Array.from(document.querySelectorAll('.cell_output img'))"
                f".filter(i => i.naturalWidth > 0 && i.width < {MIN_IMAGE_SCALE} * i.naturalWidth)"
                f".map(i => i.width + ' of ' + i.naturalWidth + ' px')")
            problems += [f"{name}: figure drawn at {w} (below {MIN_IMAGE_SCALE:.0%} of its width)" for w in shrunk]
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
    parser.add_argument("--results", type=Path, help="a results folder whose manifests must all be clean")
    parser.add_argument("--max-height", type=int, default=MAX_HEIGHT, help="page height budget in px at 1280 px")
    args = parser.parse_args(argv)
    if not args.html_dir.is_dir():
        print(f"no built book at {args.html_dir}: run `make book` first", file=sys.stderr)
        return 2
    problems = static_problems(args.html_dir, args.source_root)
    if args.results is not None:
        problems += dirty_results(args.results)
    screenshots = args.html_dir.parent / "screenshots"
    if not args.no_browser:
        problems += browser_problems(args.html_dir, screenshots, max_height=args.max_height)
    checked = len(pages(args.html_dir))
    for line in problems:
        print(f"FAIL {line}")
    print(f"{checked} pages checked, {len(problems)} problem(s)"
          + ("" if args.no_browser else f"; screenshots in {screenshots}"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
