#!/usr/bin/env bash
# Starts, on this machine's loopback, a three-node NATS cluster (JetStream,
# the stream at 3 replicas, logins) and N forum instances on it, as the
# forum runs in production: ./deploy/cluster.sh [N], then open
# http://127.0.0.1:8080 (and :8081, ...). Ctrl-C stops everything.
# Needs nats-server on PATH: go install github.com/nats-io/nats-server/v2@v2.15.2
set -euo pipefail
n=${1:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=${FORUM_CLUSTER_DIR:-$here/../data-cluster}
mkdir -p "$root"
chmod 700 "$root"
secret() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
[ -f "$root/forum-password" ] || secret > "$root/forum-password"
[ -f "$root/operator-password" ] || secret > "$root/operator-password"
export FORUM_NATS_PASSWORD=$(cat "$root/forum-password")
export FORUM_OPERATOR_PASSWORD=$(cat "$root/operator-password")
command -v nats-server >/dev/null || { echo "nats-server is not on PATH: go install github.com/nats-io/nats-server/v2@v2.15.2" >&2; exit 1; }
(cd "$here/.." && go build -o "$root/forum" ./cmd/forum)

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
for i in 1 2 3; do
  FORUM_NATS_STORE="$root/n$i" nats-server -c "$here/n$i.conf" > "$root/n$i.log" 2>&1 &
  pids+=($!)
done
urls=nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224
for i in $(seq 1 "$n"); do
  "$root/forum" serve --data "$root/forum$i" --http "127.0.0.1:$((8079 + i))" --demo=false \
    --nats-url "$urls" --nats-user forum --nats-password "$FORUM_NATS_PASSWORD" > "$root/forum$i.log" 2>&1 &
  pids+=($!)
  echo "forum $i: http://127.0.0.1:$((8079 + i))  (log $root/forum$i.log)"
done
echo "operator: nats --server $urls --user operator --password \"\$(cat $root/operator-password)\" stream info FORUM"
wait
