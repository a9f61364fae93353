#!/usr/bin/env bash
# The Kafka export's suite (docs/kafka.md): pytest on scripts/kafka drives $PRASANG_SERVER_BIN
# exporting to a real Kafka-protocol broker, tansu (bash scripts/tansu.sh installs it once per
# machine and prints its path), which each test starts on a free port with in-memory storage.
# The consumers are confluent-kafka's (pinned in scripts/python/requirements.txt), and the suite
# runs examples/kafka_popularity.py against the server's popularity report.
# Arguments go to pytest (e.g. -k crash).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PRASANG_SERVER_BIN:?set it to a prasang-server binary (scripts/test.sh builds the release one)}"
python=${PRASANG_PYTHON:-target/pyenv/bin/python}
PRASANG_TANSU_BIN=$(bash scripts/tansu.sh)
export PRASANG_TANSU_BIN
# The server starter the Python suites share is in scripts/python.
PYTHONPATH="$PWD/scripts/python${PYTHONPATH:+:$PYTHONPATH}" \
    "$python" -m pytest -q -p no:cacheprovider scripts/kafka "$@"
