# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap .venv from the
# pinned constraints first (llama-cpp-python compiles from source the first time, ~9 minutes on
# 2 cores; pip caches the wheel, so later bootstraps take seconds).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.bootstrapped
PYTEST_ARGS ?=
# llama.cpp's native build (-march=native) turns on the AMX kernels on CPUs that advertise AMX, and
# those crash (SIGSEGV in ggml_backend_amx_mul_mat) in VMs that do not grant AMX tile state. A
# portable AVX2 build runs on every x86-64 machine from the last decade and gives the same outputs.
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
else
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
endif

.PHONY: demo test bootstrap lint typecheck browser clean

bootstrap: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "riskscope: installing pinned dependencies into $(VENV) (first time: llama-cpp-python compiles, ~9 min)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==25.3"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e ".[dev,server,llamacpp-server]"
	# AgentDojo without its provider SDKs (the agentdojo extra above holds what its suites import).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -c constraints.txt agentdojo
	@touch $(STAMP)

demo: bootstrap
	$(BIN)/riskscope run

lint: bootstrap
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck: bootstrap
	$(BIN)/mypy --strict src

# The dashboard's browser tests drive Debian's Chromium (Playwright cannot download browsers
# here). Installed when missing and possible (root, apt); otherwise those tests skip with a reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "riskscope: installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "riskscope: could not install chromium; browser tests will be skipped"; }

test: lint typecheck browser
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
