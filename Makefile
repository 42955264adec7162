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
# Notebook outputs are cached between builds; the cache is dropped whenever the library changes,
# so a stale output can never reach the book.
SRC_HASH = $(shell cat $$(find src -name '*.py' | sort) | sha256sum | cut -c1-16)

# One BLAS thread: course-sized matrices gain nothing from more threads on a small machine
# (they lose a lot when it is busy), and results stay bit for bit the same. Override at will.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

STUDENT  := book/_static/assignments
LINTED   := src tests scripts assignments benchmarks

.PHONY: book test lab clean install widgets-js lint assignments grade bench

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
		cp --parents tex-mml-chtml.js output/chtml/fonts/woff-v2/* $(CURDIR)/$(MATHJAX)/

# Student release and autograder into dist/; the book links the student notebooks.
assignments: $(GRADING)
	$(BIN)/python assignments/build.py
	mkdir -p $(STUDENT)
	cp dist/student/*.ipynb $(STUDENT)/

grade: $(GRADING)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder/"; exit 2; }
	@test -d dist/autograder || $(MAKE) assignments
	$(BIN)/python assignments/grade.py "$(SUBMISSIONS)" --output grades.csv

book: $(STAMP) widgets-js assignments
	@if [ "$$(cat $(BUILD)/.src-hash 2>/dev/null)" != "$(SRC_HASH)" ]; then \
		rm -rf $(BUILD)/.jupyter_cache; mkdir -p $(BUILD); echo "$(SRC_HASH)" > $(BUILD)/.src-hash; fi
	$(BIN)/jupyter-book build -W -n --keep-going . || { \
		echo "Build failed; retrying once (a kernel can, rarely, stop answering under heavy load;"; \
		echo "notebooks that did execute are cached, so the retry only redoes what failed)."; \
		$(BIN)/jupyter-book build -W -n --keep-going . ; }
	@echo "The book is at file://$(CURDIR)/$(BUILD)/html/index.html"

# The site tests check the pages that `book` builds, so `test` builds the book first.
test: book
	$(BIN)/ruff check $(LINTED)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
		-p no:cacheprovider --ignore=book/_static tests book

# Speed against PyTorch (CPU) and live-figure callbacks, into benchmarks/results.json and
# benchmarks/RESULTS.md; `make bench BENCH_FLAGS=--book` also times the book build and nbval.
# PyTorch is a benchmark-only dependency. OPENBLAS_CORETYPE is unset for this command only.
BENCH_FLAGS ?=
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks.run $(BENCH_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)

lab: $(STAMP)
	$(BIN)/jupyter lab book/

clean:
	rm -rf $(BUILD) $(WIDGETS) $(MATHJAX) $(STUDENT) dist grades.csv .pytest_cache .hypothesis
