# Backprop Lab: `make book` builds the website, `make test` runs every test.
# Both create the virtual environment in .venv on first use.

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
GRADING  := $(VENV)/.grading-installed
BUILD    := _build
WIDGETS  := book/_static/widgets
MATHJAX  := book/_static/mathjax
# The widget manager asks for its icon fonts from two folders next to the page.
FONT_DIRS := $(BUILD)/site-extra/book/@jupyter-widgets $(BUILD)/site-extra/book/@jupyter-widgets/html-manager/dist
HTML_MANAGER_VERSION := 1.0.15
REQUIREJS_VERSION    := 2.3.8
MATHJAX_VERSION      := 3.2.2
AXE_VERSION          := 4.14.1
# axe-core audits the pages in the browser tests; it is never served by the site.
AXE := $(BUILD)/npm-test/node_modules/axe-core/axe.min.js
# Notebook outputs are cached between builds; the cache is dropped whenever the library changes,
# so a stale output can never reach the book.
SRC_HASH = $(shell cat $$(find src -name '*.py' | sort) | sha256sum | cut -c1-16)

# One BLAS thread: course-sized matrices gain nothing from more threads on a small machine
# (they lose a lot when it is busy), and results stay bit for bit the same. Override at will.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

STUDENT  := book/_static/assignments
LINTED   := src tests scripts assignments benchmarks book/_ext

.PHONY: book test quick float-checks lab clean install widgets-js lint assignments grade bench pdf

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (backproplab)" >/dev/null
	touch $(STAMP)

# Grading tools (otter-grader) live in their own requirements file: readers never need them.
$(GRADING): $(STAMP) assignments/requirements.txt
	$(BIN)/python -m pip install --quiet -r assignments/requirements.txt
	touch $(GRADING)

widgets-js: $(WIDGETS)/embed-amd.js

# The widget manager, require.js and MathJax are served from the site itself so that the
# pages work offline. Installed from npm at build time, never committed.
$(WIDGETS)/embed-amd.js:
	mkdir -p $(BUILD)/npm $(WIDGETS) $(MATHJAX) $(FONT_DIRS)
	npm install --silent --no-audit --no-fund --ignore-scripts --prefix $(BUILD)/npm \
		@jupyter-widgets/html-manager@$(HTML_MANAGER_VERSION) requirejs@$(REQUIREJS_VERSION) \
		mathjax@$(MATHJAX_VERSION)
	cp $(BUILD)/npm/node_modules/requirejs/require.js $(WIDGETS)/require.min.js
	cd $(BUILD)/npm/node_modules/@jupyter-widgets/html-manager/dist && \
		cp embed-amd.js $(CURDIR)/$(WIDGETS)/ && \
		for d in $(FONT_DIRS); do cp *.woff *.woff2 *.ttf *.eot *.svg $(CURDIR)/$$d/; done
	cd $(BUILD)/npm/node_modules/mathjax/es5 && \
		cp -r --parents tex-mml-chtml.js output/chtml/fonts/woff-v2 a11y sre $(CURDIR)/$(MATHJAX)/

# Student release and autograder into dist/; the book links the student notebooks.
assignments: $(GRADING)
	$(BIN)/python assignments/build.py
	mkdir -p $(STUDENT)
	cp dist/student/*.ipynb $(STUDENT)/

# Each submission runs in a bubblewrap sandbox (apt-get install bubblewrap); FEEDBACK=folder
# also writes one feedback file per student.
grade: $(GRADING)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder/ [FEEDBACK=folder/]"; exit 2; }
	$(BIN)/python assignments/grade.py "$(SUBMISSIONS)" --output grades.csv $(if $(FEEDBACK),--feedback "$(FEEDBACK)")

# A kernel can, rarely, stop answering under heavy load: a failed build is retried once.
# Notebooks that did execute are cached, so the retry only redoes what failed; it rereads every
# page (--all), so that a warning of the first build cannot pass unseen in the second.
# $(call jupyter_book,extra arguments,command prefix)
define jupyter_book
	$(2) $(BIN)/jupyter-book build -W -n --keep-going $(1) . || { echo "Build failed; retrying once."; \
		$(2) $(BIN)/jupyter-book build -W -n --keep-going --all $(1) . ; }
endef

book: $(STAMP) widgets-js assignments
	@if [ "$$(cat $(BUILD)/.src-hash 2>/dev/null)" != "$(SRC_HASH)" ]; then \
		rm -rf $(BUILD)/.jupyter_cache; mkdir -p $(BUILD); echo "$(SRC_HASH)" > $(BUILD)/.src-hash; fi
	$(call jupyter_book,)
	@echo "The book is at file://$(CURDIR)/$(BUILD)/html/index.html"

NBVAL := $(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
	-p no:cacheprovider

# The site tests check the pages that `book` builds, so `test` builds the book first. Then the
# notebooks run again as CPUs with fewer vector instructions compute (see below).
test: book $(AXE)
	$(BIN)/ruff check $(LINTED)
	$(NBVAL) --ignore=book/_static tests book
	$(MAKE) --no-print-directory -j2 --output-sync=target float-checks

# Floating-point configurations. The same seed gives the same numbers only on the same kind of
# CPU, so every notebook's claims are also checked as other CPUs compute: `no-avx512` (OpenBLAS
# Haswell kernels, NumPy without its AVX-512 loops) builds the whole book, executing every
# notebook afresh, and runs nbval; `avx-only` (OpenBLAS Sandybridge, NumPy baseline loops) runs
# nbval. scripts/float_configs.py sets each up and checks that NumPy and OpenBLAS obey it.
FLOAT := $(BIN)/python -m scripts.float_configs run
float-checks: float-book-no-avx512 float-nbval-no-avx512 float-nbval-avx-only

float-nbval-%: $(STAMP)
	$(FLOAT) $* -- $(NBVAL) -q book

# Needs what `make book` installs and builds first (the widget JavaScript, the student notebooks).
# The copied configuration names the book's local Sphinx extensions by absolute path.
float-book-%: $(STAMP) $(WIDGETS)/embed-amd.js
	mkdir -p $(BUILD)/float-$*
	sed -e 's/execute_notebooks: cache/execute_notebooks: force/' \
		-e 's|: book/_ext$$|: $(CURDIR)/book/_ext|' _config.yml > $(BUILD)/float-$*/_config.yml
	$(call jupyter_book,--config $(BUILD)/float-$*/_config.yml --path-output $(BUILD)/float-$*,$(FLOAT) $* --)

$(AXE):
	mkdir -p $(BUILD)/npm-test
	npm install --silent --no-audit --no-fund --ignore-scripts --prefix $(BUILD)/npm-test \
		axe-core@$(AXE_VERSION)

# The contributor's quick loop: lint, the library tests (not those marked `book` or `browser`,
# which run whole chapters or the site), and the notebooks you changed (or the ones you name:
# `make quick NOTEBOOKS="book/05_vanishing_gradients.ipynb"`).
NOTEBOOKS ?= $(shell git status --porcelain -- 'book/*.ipynb' | awk '{print $$NF}')
# For those notebooks it also runs the visible code alone and checks every figure it draws
# (tests/test_visible_code.py).
empty :=
VISIBLE := $(subst $(empty) $(empty), or ,$(strip $(basename $(notdir $(NOTEBOOKS)))))
quick: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(NBVAL) -q tests -m "not book and not browser" --ignore=tests/test_browser.py \
		--ignore=tests/test_jupyterlab.py --ignore=tests/test_site.py \
		--ignore=tests/test_assignments.py $(NOTEBOOKS)
	$(if $(VISIBLE),$(NBVAL) -q tests/test_visible_code.py -k "$(VISIBLE)")

# Speed against PyTorch (CPU) and live-figure callbacks, into benchmarks/results.json and
# benchmarks/RESULTS.md; `make bench BENCH_FLAGS=--book` also times the book build and nbval.
# PyTorch is a benchmark-only dependency. OPENBLAS_CORETYPE is unset for this command only.
BENCH_FLAGS ?=
LIGHTHOUSE := $(BUILD)/npm-bench/node_modules/lighthouse/cli/index.js
$(LIGHTHOUSE):
	mkdir -p $(BUILD)/npm-bench
	npm install --silent --no-audit --no-fund --prefix $(BUILD)/npm-bench lighthouse@12.2.3

bench: $(STAMP) $(LIGHTHOUSE)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks.run $(BENCH_FLAGS)

# The book as one PDF, printed by Chromium from the built site (book/_static/print.css).
pdf: book
	$(BIN)/python -m scripts.print_book --output $(BUILD)/pdf/backprop-lab.pdf

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)

lab: $(STAMP)
	$(BIN)/jupyter lab book/

clean:
	rm -rf $(BUILD) $(WIDGETS) $(MATHJAX) $(STUDENT) dist grades.csv .pytest_cache .hypothesis
