#!/usr/bin/env bash
# Judge Synapse with pushsim: venv + Synapse (if missing), build, adapter, conform.
#
#   docs/examples/matrix/run.sh                 # every scenario (non-matrix ones are skipped)
#   docs/examples/matrix/run.sh scenarios/profiles/matrix
#
# Environment: MATRIX_VENV (default target/matrix-venv), MATRIX_SKIP_BUILD=1
# (use the pushsim binary as built), MATRIX_PORT (adapter port, default: free).
# Exit code: conform's (0 all passed or failed as expected).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
VENV="${MATRIX_VENV:-$REPO/target/matrix-venv}"
SYNAPSE_VERSION="1.163.2"
PY="${PYTHON:-python3}"
cd "$REPO"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# 1. Synapse in its own venv (AGPL: installed at test time, never vendored).
t=$(now)
if ! "$VENV/bin/python" -c "import sys, importlib.metadata as m; import synapse; sys.exit(m.version('matrix-synapse') != '$SYNAPSE_VERSION')" 2>/dev/null; then
    if ! "$PY" -m venv --help >/dev/null 2>&1; then
        echo "run.sh: '$PY -m venv' does not work; install the venv module (Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 2
    fi
    mkdir -p "$(dirname "$VENV")"
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "matrix-synapse==$SYNAPSE_VERSION"
    echo "install: matrix-synapse $SYNAPSE_VERSION into $VENV in $(since "$t")"
else
    echo "install: matrix-synapse $SYNAPSE_VERSION already in $VENV"
fi

# 2. pushsim.
if [ "${MATRIX_SKIP_BUILD:-0}" != 1 ]; then
    t=$(now)
    cargo build --release
    echo "build: $(since "$t")"
fi

# 3. The adapter (it starts Synapse and prints its URL once Synapse answers).
LOGDIR="$REPO/target/matrix-adapter"
mkdir -p "$LOGDIR"
t=$(now)
"$PY" "$HERE/adapter.py" --port "${MATRIX_PORT:-0}" --venv "$VENV" >"$LOGDIR/stdout" 2>"$LOGDIR/stderr" &
ADAPTER=$!
stop() {
    if kill -0 "$ADAPTER" 2>/dev/null; then
        kill -TERM "$ADAPTER" 2>/dev/null || true
        wait "$ADAPTER" 2>/dev/null || true
    fi
}
trap stop EXIT
URL=""
for _ in $(seq 1200); do
    URL="$(head -n1 "$LOGDIR/stdout" 2>/dev/null || true)"
    [ -n "$URL" ] && break
    if ! kill -0 "$ADAPTER" 2>/dev/null; then
        echo "run.sh: the adapter exited before serving; its stderr:" >&2
        cat "$LOGDIR/stderr" >&2
        exit 2
    fi
    sleep 0.1
done
[ -n "$URL" ] || { echo "run.sh: the adapter did not start within 120 s" >&2; cat "$LOGDIR/stderr" >&2; exit 2; }
curl -fsS "$URL/capabilities" >/dev/null 2>&1 || "$PY" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/capabilities')" "$URL"
echo "start: adapter + Synapse at $URL in $(since "$t") ($(tail -n1 "$LOGDIR/stderr"))"

# 4. conform.
if [ $# -eq 0 ]; then set -- scenarios/; fi
t=$(now)
set +e
"$REPO/target/release/pushsim" conform --sut "$URL" \
    --expected-failures "$HERE/expected-failures.txt" \
    --junit "$REPO/target/matrix-conform.xml" "$@"
CODE=$?
set -e
echo "conform: $(since "$t"), exit $CODE (JUnit: target/matrix-conform.xml, adapter logs: target/matrix-adapter/)"
exit $CODE
