# Developer and CI entry points. Everything a target needs is installed by the target itself
# (apt packages as root, a .venv from the pinned requirements), so a fresh machine only needs
# python3, make and apt. Installs are skipped when already done: reruns are fast.
#
#   make serve [PORT=8080]   the service on http://127.0.0.1:$(PORT) with the committed model
#   make test                the whole suite: unit, api, e2e (Chromium) and docker (podman)
#   make lint                hadolint on the Dockerfile, shellcheck on the shell scripts
#   make bench [BENCH_ARGS=--quick]   bench/: ours vs RapidOCR and Tesseract -> bench/results
#   make train [TRAIN_ARGS=...] | train-bundle | export | quantize | docker

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
IMAGE ?= crnn-ocr
BENCH_ARGS ?=
TRAIN_ARGS ?=
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Debian packages. Fonts: the e2e/model tests and the synthetic line renderer draw Chinese and
# Latin text with them. podman/runc/debootstrap: the image is built and run without a Docker
# engine or an image registry (tools/podman_build.sh). tesseract: a benchmark peer.
APT_BROWSER := chromium
APT_FONTS := fonts-noto-cjk fonts-wqy-microhei fonts-wqy-zenhei fonts-arphic-ukai \
	fonts-arphic-uming fonts-dejavu fonts-liberation2 fonts-droid-fallback fonts-noto-core \
	fonts-freefont-ttf fonts-urw-base35 fonts-crosextra-carlito fonts-crosextra-caladea
APT_CONTAINER := podman runc debootstrap
APT_BENCH := tesseract-ocr tesseract-ocr-chi-sim
APT_LINT := shellcheck
APT_TEST := $(APT_BROWSER) $(APT_FONTS) $(APT_CONTAINER) $(APT_BENCH)

# Install the Debian packages in $(1) that are missing; `apt-get update` only when some are.
define apt_install
missing=(); \
for pkg in $(1); do \
	dpkg-query -W -f='$${Status}\n' "$$pkg" 2>/dev/null | grep -q '^install ok installed$$' \
		|| missing+=("$$pkg"); \
done; \
if (( $${#missing[@]} )); then \
	echo "apt: installing $${missing[*]}"; \
	$(SUDO) apt-get update -qq; \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends "$${missing[@]}"; \
fi
endef

.PHONY: help serve test lint bench train train-bundle export quantize docker apt-test apt-bench apt-fonts apt-lint

help:
	@sed -n 's/^#   make /make /p' Makefile

# ---- Python environments (stamp files record what has been installed into .venv) ----------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.serve-deps: requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt
	touch $@

# torch==2.13.0 resolves to the CPU wheel on the machine's disk (pip's find-links).
$(VENV)/.train-deps: requirements.txt model/requirements-train.txt | $(BIN)/python
	$(PIP) install -r requirements.txt -r model/requirements-train.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt model/requirements-train.txt | $(BIN)/python
	$(PIP) install -r requirements-dev.txt -r model/requirements-train.txt
	touch $@

# bench/requirements.txt lists every package itself and must be installed with --no-deps (see
# its header): a peer declares opencv-python, which would overwrite opencv-python-headless.
# The benchmark also renders synthetic lines and scores CER with the training-side packages.
$(VENV)/.bench-deps: $(VENV)/.train-deps bench/requirements.txt
	$(PIP) install --no-deps -r bench/requirements.txt
	touch $@

apt-test:
	@$(call apt_install,$(APT_TEST))

apt-bench:
	@$(call apt_install,$(APT_BENCH) $(APT_FONTS))

apt-fonts:
	@$(call apt_install,$(APT_FONTS))

apt-lint:
	@$(call apt_install,$(APT_LINT))

# ---- Targets -----------------------------------------------------------------------------
# gunicorn.conf.py binds 127.0.0.1:$PORT (OCR_BIND overrides) and serves model/crnn.int8.onnx.
serve: $(VENV)/.serve-deps
	PORT=$(PORT) exec $(BIN)/gunicorn -c gunicorn.conf.py

# The docker tests build and run the image with podman, so they need root (as CI runs).
test: apt-test $(VENV)/.dev-deps
	$(BIN)/python -m pytest tests --durations=15

lint: apt-lint $(VENV)/.dev-deps
	$(BIN)/hadolint Dockerfile
	shellcheck .ci/run tools/*.sh model/*.sh

bench: apt-bench $(VENV)/.bench-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Synthetic lines are rendered with the Debian fonts (training and held-out families).
train: apt-fonts $(VENV)/.train-deps
	$(BIN)/python -m model.train $(TRAIN_ARGS)

# What a lent GPU machine (no fonts, no package index) needs to train: .gpu/ (model/bundle.py).
train-bundle: apt-fonts $(VENV)/.train-deps
	$(BIN)/python -m model.bundle --out .gpu

export: $(VENV)/.train-deps
	$(BIN)/python -m model.export

# Calibration lines are rendered too, through the serving preprocessing.
quantize: apt-fonts $(VENV)/.train-deps
	$(BIN)/python -m quantize.run

# A Docker engine when one answers, else podman with a locally built base (tools/podman_build.sh).
docker:
	@if docker info >/dev/null 2>&1; then \
		docker build -t $(IMAGE) . ; \
	else \
		$(call apt_install,$(APT_CONTAINER)); \
		tools/podman_build.sh $(IMAGE); \
	fi
