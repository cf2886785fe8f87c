#!/usr/bin/env bash
# A separate virtualenv with the MLflow tracking server, for the MLflow integration tests only.
# MLflow is heavy (pandas, pyarrow, scikit-learn…) and is never a dependency of Headway itself: the tests
# start `<this venv's python> -m mlflow server` as a subprocess and talk to it over its REST API.
#
# Usage: scripts/mlflow-venv.sh [VENV_DIR]     (default: .venv-mlflow in the repository)
# Prints the venv's python path as its last line; the tests find it through HEADWAY_MLFLOW_PYTHON, or at
# .venv-mlflow/bin/python in the repository. Running it again on a ready venv only checks it (fast).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${1:-.venv-mlflow}"
SPEC="${HEADWAY_MLFLOW_SPEC:-mlflow>=3.1,<4}"
PYTHON="${HEADWAY_MLFLOW_BASE_PYTHON:-python3}"  # the interpreter the venv is made from

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import mlflow.server" >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$SPEC" >&2
fi
"$VENV/bin/python" -c "import mlflow; print('mlflow', mlflow.__version__)" >&2
cd "$VENV" && echo "$(pwd)/bin/python"
