"""Execute one page of the book with papermill, from the stored results.

    python tools/execute_page.py notebooks/taylornet.ipynb pages/taylornet_mnist7.ipynb dataset=mnist7

The notebook runs with ``profile=cpu`` and ``recompute=never`` (it only reads
``results/cpu``; a missing result is an error, not a computation) plus the given
``name=value`` parameters. In the executed copy the notebook's own ``parameters`` cell,
which shows the defaults, is tagged ``remove-cell`` (kept in the file, not on the page),
and papermill's injected cell, which shows what this page was run with, stays. The page is written atomically: a failed run leaves no page.
Jupyter Book then renders the executed pages without running them again (the Makefile
lists the pages and re-executes only those whose notebook, code or results changed).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill


TARGET = re.compile(r"^\([A-Za-z0-9_-]+\)=[ \t]*\n", re.MULTILINE)


def _same(default_source: str | None, value: str) -> bool:
    """Whether a parameter's default (as papermill reads it, source text) equals ``value``."""
    try:
        return ast.literal_eval(default_source) == value
    except (ValueError, SyntaxError):
        return False


def parse_parameters(items: list[str]) -> dict[str, str]:
    parameters = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise SystemExit(f"parameters are name=value pairs, got {item!r}")
        parameters[name] = value
    return parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("page", type=Path)
    parser.add_argument("parameters", nargs="*", help="name=value")
    parser.add_argument("--profile", default=os.environ.get("CGBOOK_PROFILE", "cpu"))
    args = parser.parse_args(argv)
    given = parse_parameters(args.parameters)
    declared = papermill.inspect_notebook(str(args.source))
    unknown = set(given) - set(declared)
    if unknown:
        raise SystemExit(f"{args.source} has no parameter(s) {sorted(unknown)}; it declares {sorted(declared)}")
    # profile and recompute where the notebook declares them (the book pages never train)
    defaults = {k: v for k, v in {"profile": args.profile, "recompute": "never"}.items() if k in declared}
    parameters = {**defaults, **given}

    args.page.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=args.page.parent, prefix=f".{args.page.stem}.")
    os.close(fd)
    try:
        papermill.execute_notebook(str(args.source), tmp, parameters=parameters, cwd=str(args.source.parent),
                                   progress_bar=False, log_output=False, kernel_name="python3")
        nb = nbformat.read(tmp, as_version=4)
        # A page for another parameter set repeats the chapter's prose: its MyST targets
        # ("(eq-4)=") would be defined twice, so only the page with the defaults keeps them.
        defaults_page = all(_same(declared[k].get("default"), v) for k, v in given.items())
        for cell in nb.cells:
            tags = cell.metadata.get("tags", [])
            if "parameters" in tags and "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
            if cell.cell_type == "markdown" and not defaults_page:
                cell.source = TARGET.sub("", cell.source)
        nbformat.write(nb, tmp)
        os.replace(tmp, args.page)
    except papermill.PapermillExecutionError as err:
        print(f"{args.source} ({parameters}) failed in cell {err.exec_count}: {err.ename}: {err.evalue}",
              file=sys.stderr)
        return 1
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
