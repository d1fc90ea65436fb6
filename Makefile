# cgbook: `make test` and `make book` set everything up on a fresh clone.
#
#   make test                  unit tests + every notebook under the smoke profile
#   make book                  the HTML book from the stored cpu results (offline; make -j2
#                              executes two pages at a time)
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
# Intel MKL reproducible across runs and machines of one kind (see cgcore/__init__.py)
export MKL_CBWR ?= AUTO

.PHONY: setup test pages list-pages book book-check results run bench sync clean

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
	@# Fashion-MNIST from Debian's package where there is one (cgcore.data also reads
	@# $$CGCORE_DATA/fashion-mnist, or downloads it with torchvision).
	@[ -d /usr/share/datasets/fashion-mnist ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; } || \
	  echo "note: dataset-fashion-mnist not installed: Fashion-MNIST needs CGCORE_DATA or a download"
	touch $(STAMP)

# One thread per process: the smoke-sized tensors gain nothing from a second thread, and the
# notebook kernels and subprocesses the tests start would otherwise oversubscribe the cores
# (measured on 2 cores when the suite was smaller: about 6 min instead of about 20;
# the whole suite took 17.8 min there on 2026-12-07). The slowest tests are listed at the end.
test: $(STAMP)
	CGBOOK_PROFILE=smoke CGCORE_RESULTS=$(abspath .cache/test-results) OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(BIN)/python -m pytest tests --nbval-lax notebooks book -p no:cacheprovider --durations=15

# The book's pages: one per chapter and parameter set, "<notebook>[:<name>=<value>]". Each
# is executed by papermill into pages/ from the stored results (tools/execute_page.py), again
# only when its notebook, the library or the results changed; Jupyter Book then renders the
# executed pages without running them (_config.yml), in the order of _toc.yml.
BOOK_PAGES = book/intro notebooks/coarse_graining notebooks/taylor_expansion notebooks/cg_operation \
             notebooks/taylornet:dataset=mnist notebooks/taylornet:dataset=mnist7 \
             notebooks/taylornet:dataset=cifar10 notebooks/polynomial notebooks/baselines \
             notebooks/distillation:dataset=mnist \
             notebooks/distillation:dataset=cifar10 notebooks/references:dataset=mnist \
             notebooks/references:dataset=cifar10 notebooks/similarity \
             book/scorecard book/closing book/benchmarks
BOOK_CODE    = $(wildcard cgcore/*.py cgcore/experiments/*.py) tools/execute_page.py
BOOK_RESULTS = $(wildcard results/$(BOOK_PROFILE)/*)
BOOK_PROFILE = cpu
# Page height budget of `make book-check`, in px at 1280 px wide.
BOOK_MAX_HEIGHT = 12000
page_source  = $(firstword $(subst :, ,$(1))).ipynb
page_param   = $(word 2,$(subst :, ,$(1)))
page_file    = pages/$(notdir $(firstword $(subst :, ,$(1))))$(if $(call page_param,$(1)),_$(lastword $(subst =, ,$(call page_param,$(1))))).ipynb
PAGE_FILES   = $(foreach p,$(BOOK_PAGES),$(call page_file,$(p)))

define PAGE_RULE
$(call page_file,$(1)): $(call page_source,$(1)) $(BOOK_CODE) $(BOOK_RESULTS) | $(STAMP)
	$(BIN)/python tools/execute_page.py --profile $(BOOK_PROFILE) $(call page_source,$(1)) $$@ $(call page_param,$(1))
endef
$(foreach p,$(BOOK_PAGES),$(eval $(call PAGE_RULE,$(p))))

pages: $(PAGE_FILES)

list-pages:
	@echo $(PAGE_FILES)

book: $(STAMP) pages
	@# --all: every page is rendered again (rendering only: the pages were executed above)
	$(BIN)/python tools/vendor_mathjax.py .cache/mathjax
	$(BIN)/jupyter-book build . --all -W --keep-going
	@echo "The book: $(abspath _build/html/index.html)"

book-check: book
	$(BIN)/python tools/check_book.py _build/html --source-root . --results results/$(BOOK_PROFILE) \
	  --max-height $(BOOK_MAX_HEIGHT)

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
