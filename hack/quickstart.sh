#!/usr/bin/env bash
# hack/quickstart.sh — from a fresh machine to a local 3-node jobctl cluster running
# an example job, in one command:
#
#   1. installs what is missing: the Docker engine and a local busybox image
#      (hack/ci-setup.sh, needs root and apt; skipped when Docker already answers)
#      and the npm dependencies; builds the TypeScript
#   2. starts a 3-node cluster (`jobctl dev up --nodes 3`, data under .jobctl-dev/)
#   3. shows the Raft view and the nodes, applies manifests/examples/hello.yaml with
#      --wait (a real busybox container runs `echo hello` on one of the nodes), then
#      shows the Job, its Run and its output (`jobctl logs job/hello` prints "hello")
#   4. prints the dashboard URL of each node (http://127.0.0.1:8081/ ...: the same live
#      view from any node)
#   5. stops the cluster, unless --keep is given (then stop it with
#      `kill $(cat .jobctl-dev/up.pid)`)
#
# QUICKSTART_BASE_PORT (default 50051), QUICKSTART_HTTP_PORT (default 8081, the first
# node's dashboard) and QUICKSTART_DIR (default .jobctl-dev) move the cluster, e.g.
# when another one already runs on the default ports.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
KEEP=0
[[ ${1:-} == --keep ]] && KEEP=1

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if ! docker info >/dev/null 2>&1; then
  say "installing and starting Docker (hack/ci-setup.sh)"
  bash hack/ci-setup.sh
fi
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund
fi
say "building"
npm run --silent build

jobctl() { node "$ROOT/dist/cmd/jobctl.cjs" "$@"; }
PORT=${QUICKSTART_BASE_PORT:-50051}
HTTP_PORT=${QUICKSTART_HTTP_PORT:-8081}
DIR=${QUICKSTART_DIR:-.jobctl-dev}
export JOBCTL_SERVER=127.0.0.1:$PORT,127.0.0.1:$((PORT + 1)),127.0.0.1:$((PORT + 2))

mkdir -p "$DIR"
say "starting a local 3-node cluster (jobctl dev up --nodes 3)"
node dist/cmd/jobctl.cjs dev up --nodes 3 --base-port "$PORT" --http-base-port "$HTTP_PORT" \
  --dir "$DIR" >"$DIR/up.log" 2>&1 &
UP_PID=$!
echo "$UP_PID" >"$DIR/up.pid"
stop_cluster() {
  if ((KEEP == 0)) && kill -0 "$UP_PID" 2>/dev/null; then
    say "stopping the cluster"
    kill -TERM "$UP_PID" 2>/dev/null || true
    wait "$UP_PID" 2>/dev/null || true
  fi
}
trap stop_cluster EXIT

for _ in $(seq 1 120); do
  grep -q 'leader elected' "$DIR/up.log" && break
  if ! kill -0 "$UP_PID" 2>/dev/null; then
    cat "$DIR/up.log"
    echo "quickstart: the cluster did not start (log above)" >&2
    exit 1
  fi
  sleep 0.5
done
cat "$DIR/up.log"

say "jobctl cluster status"
jobctl cluster status
say "jobctl get nodes"
jobctl get nodes
say "jobctl apply -f manifests/examples/hello.yaml --wait"
jobctl apply -f manifests/examples/hello.yaml --wait=120s
say "jobctl get jobs"
jobctl get jobs
say "jobctl get runs"
jobctl get runs
say "jobctl logs job/hello"
OUT=$(jobctl logs job/hello)
printf '%s\n' "$OUT"
if [[ $OUT != *hello* ]]; then
  echo "quickstart: expected \"hello\" in the job's output" >&2
  exit 1
fi

say "the dashboard (any node shows the same live view)"
grep 'dashboard:' "$DIR/up.log" || true
if ((KEEP == 1)); then
  say "cluster left running (--keep): open http://127.0.0.1:$HTTP_PORT/ ; export JOBCTL_SERVER=$JOBCTL_SERVER; stop it with: kill \$(cat $DIR/up.pid)"
else
  echo "(run hack/quickstart.sh --keep to keep the cluster, and its dashboard, running)"
fi
