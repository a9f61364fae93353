#!/usr/bin/env bash
# The `prasang` Python package's suite: builds the wheel with maturin into target/wheels (a
# release build in the workspace's own target/, so it reuses what the release server build
# compiled), installs it into the shared venv ($PRASANG_PYTHON) and runs pytest on
# prasang-py/tests, which starts $PRASANG_SERVER_BIN on temporary data folders.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PRASANG_PYTHON:?run scripts/test.sh, or set PRASANG_PYTHON and PRASANG_SERVER_BIN}"
: "${PRASANG_SERVER_BIN:?set PRASANG_SERVER_BIN (scripts/release-server.sh builds it)}"
rm -rf target/wheels/prasang-*.whl
"$python" -m maturin build --release --quiet --manifest-path prasang-py/Cargo.toml \
    --out target/wheels
"$python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    target/wheels/prasang-*.whl
# Run from the tests folder so `import prasang` finds the installed wheel, not the sources;
# the server starter the Python suites share is in scripts/python.
export PYTHONPATH="$PWD/scripts/python${PYTHONPATH:+:$PYTHONPATH}"
cd prasang-py/tests
"$python" -m pytest -q -p no:cacheprovider .
