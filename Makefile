# cgbook: `make test` and `make book` set everything up on a fresh clone.
#
#   make test                  unit tests + every notebook under the smoke profile
#   make book                  the HTML book from the stored cpu results (offline)
#   make results PROFILE=cpu   recompute every stored result of a profile
#   make run EXPERIMENT=distillation_cifar10 PROFILE=cpu
#                              recompute one experiment (with the data paths set)
#   make bench PROFILE=cpu     recompute the benchmarks only
#   make book-check            make book, then open every page in headless Chromium
#                              (broken links, images, error outputs, missing figures)
#   make sync                  re-pair notebooks/*.py (source of truth) with their .ipynb

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PROFILE ?= cpu

# torch/torchvision releases that work together on this kind of machine (installed first
# so pip takes them from the local disk); the ranges in pyproject.toml admit others.
ifeq ($(shell uname -m),aarch64)
TORCH_SPEC ?= torch==2.9.1 torchvision==0.24.1
else
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
endif

SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)),)
export CGCORE_DATA ?= $(SHARED_DATA)
endif
export CGCORE_CACHE ?= $(abspath .cache/cgcore)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup test pages book book-check results run bench sync clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH_SPEC)
	$(BIN)/pip install --quiet -e '.[dev]'
	@# The browser check uses Debian's Chromium (never a browser download of its own).
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "note: chromium/chromium-driver not installed: the browser checks will be skipped"
	touch $(STAMP)

test: $(STAMP)
	CGBOOK_PROFILE=smoke CGCORE_RESULTS=$(abspath .cache/test-results) \
	  $(BIN)/python -m pytest tests --nbval-lax notebooks book -p no:cacheprovider

# One page per chapter and parameter set: each chapter's default page is the notebook
# itself; the other data sets get a copy with papermill's parameters injected (executed by
# jupyter-book like every page), listed in _toc.yml under their chapter. (The distillation
# and similarity chapters show both data sets on one page.)
PAGES = taylornet:mnist7 taylornet:cifar10

pages: $(STAMP)
	@mkdir -p pages
	@for page in $(PAGES); do nb=$${page%%:*}; ds=$${page##*:}; \
	  $(BIN)/papermill --prepare-only -p dataset $$ds notebooks/$$nb.ipynb pages/$${nb}_$$ds.ipynb \
	    --log-level WARNING || exit 1; done

book: $(STAMP) pages
	@# --all: every page is executed again, so no page shows results older than the store
	$(BIN)/python tools/vendor_mathjax.py .cache/mathjax
	CGBOOK_PROFILE=cpu CGBOOK_RECOMPUTE=never \
	  $(BIN)/jupyter-book build . --all -W --keep-going
	@echo "The book: $(abspath _build/html/index.html)"

book-check: book
	$(BIN)/python tools/check_book.py _build/html --source-root .

results: $(STAMP)
	$(BIN)/python -m cgcore run all --profile $(PROFILE)

run: $(STAMP)
	@test -n "$(EXPERIMENT)" || { echo "usage: make run EXPERIMENT=<name> [PROFILE=cpu]; experiments: $$($(BIN)/python -c 'from cgcore.profiles import experiments; print(" ".join(experiments()))')"; exit 2; }
	$(BIN)/python -m cgcore run $(EXPERIMENT) --profile $(PROFILE)

bench: $(STAMP)
	$(BIN)/python -m cgcore run taylor_features_bench cg_conv_bench --profile $(PROFILE)

sync: $(STAMP)
	$(BIN)/jupytext --sync notebooks/*.py book/*.py

clean:
	rm -rf _build .cache
