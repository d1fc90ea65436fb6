"""Copy MathJax 3 (from the PyPI package django-static-mathjax) next to the book's sources,
so that the built book renders its equations without reaching a CDN.

    python tools/vendor_mathjax.py .cache/mathjax

_config.yml adds that folder to html_static_path and points mathjax_path at
``mathjax/tex-mml-chtml.js`` inside it.
"""

import importlib.util
import shutil
import sys
from pathlib import Path


def main(target: str) -> None:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("MathJax is not installed: pip install django-static-mathjax (a dev extra of cgcore)")
    es5 = Path(spec.submodule_search_locations[0]) / "static" / "mathjax" / "es5"
    destination = Path(target) / "mathjax"
    if not (destination / "tex-mml-chtml.js").exists():
        shutil.copytree(es5, destination, dirs_exist_ok=True)
    print(f"MathJax in {destination}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".cache/mathjax")
