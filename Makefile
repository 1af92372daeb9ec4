# The front door. Each recipe is one line; the logic lives in scripts/.
PYTHON := .venv/bin/python
INSTALL_INPUTS := constraints.txt requirements-dev.txt proto/pyproject.toml kit/pyproject.toml \
	$(wildcard services/*/pyproject.toml) scripts/install_venv.sh

.PHONY: venv up test lint proto proto-check bench helm-check

# Re-installs only when a project file changed; the stamp is written by the script.
venv: .venv/.installed
.venv/.installed: $(INSTALL_INPUTS)
	scripts/install_venv.sh

up: venv
	$(PYTHON) -m authmesh_kit.stack up

test: venv
	$(PYTHON) -m pytest

lint: venv
	scripts/lint.sh

proto: venv
	scripts/gen_proto.sh

proto-check: venv
	scripts/check_proto.sh

# BENCH_ARGS: e.g. --peer (side by side with the Better-Auth peer), --sizes= (no growth part).
bench: venv
	$(PYTHON) -m bench $(BENCH_ARGS)

# The Helm chart: every scenario of helm/authmesh/ci rendered, linted, validated against the
# Kubernetes schemas and scanned by checkov (tools in .venv-helm, installed on first use).
helm-check: venv
	$(PYTHON) scripts/helm_check.py
