#!/usr/bin/env bash
# Runs `bench --api kubeconfig` against a real kube-apiserver v1.32 + etcd, started for the run and stopped after.
#
#   bash scripts/bench-real-api.sh [bench options]      e.g.  --workloads 10000 --json /tmp/real-10k.json
#
# The server is Fabric8 kube-api-test's (the real-API-server suite's), offline from
# ~/.kubeapitest/k8s/1.32.13-linux-amd64 (laid out by ../shared/k8s/install.sh, run here when that folder is
# missing), kept up by the test-scope main io.plimsoll.realapi.StandaloneApiServer through Maven's exec plugin. It
# writes target/real-api/kubeconfig (cluster admin, client certificates); the bench reads it through $KUBECONFIG,
# creates the CRDs, the fake nodes (status through nodes/status) and the workloads, and runs the operator in its
# own JVM. The operator's JVM options come from $BENCH_JAVA_OPTS (e.g. -Xmx1g). Exit status: the bench's.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=target/real-api
BIN="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.32.13-linux-amd64"
MVN=(./mvnw -B -ntp -q)
[ "${BENCH_MAVEN_OFFLINE:-0}" = 1 ] && MVN+=(-o)   # BENCH_MAVEN_OFFLINE=1: no Maven Central (plugins already in ~/.m2)

if [ ! -x "$BIN/kube-apiserver" ] && [ -f ../shared/k8s/install.sh ]; then
  bash ../shared/k8s/install.sh >&2
fi
if [ ! -x "$BIN/kube-apiserver" ]; then
  echo "bench-real-api: no kube-apiserver in $BIN (run ../shared/k8s/install.sh)" >&2
  exit 2
fi
if [ ! -f target/quarkus-app/quarkus-run.jar ]; then
  "${MVN[@]}" package -DskipTests
fi

rm -rf "$DIR"
mkdir -p "$DIR"
"${MVN[@]}" test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
  -Dexec.mainClass=io.plimsoll.realapi.StandaloneApiServer -Dexec.args="$DIR" -Dexec.cleanupDaemonThreads=false \
  > "$DIR/server.log" 2>&1 &
SERVER=$!
stop() {
  touch "$DIR/stop"
  # The main stops kube-apiserver and etcd itself once it sees the file; wait for it (then Maven exits).
  for _ in $(seq 1 60); do kill -0 "$SERVER" 2>/dev/null || return 0; sleep 1; done
  kill "$SERVER" 2>/dev/null || true
}
trap stop EXIT

for _ in $(seq 1 300); do
  [ -f "$DIR/ready" ] && break
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "bench-real-api: the API server did not start; $DIR/server.log:" >&2
    tail -20 "$DIR/server.log" >&2
    exit 2
  fi
  sleep 1
done
[ -f "$DIR/ready" ] || { echo "bench-real-api: the API server was not up after 300 s" >&2; exit 2; }

set +e
# shellcheck disable=SC2086
KUBECONFIG="$PWD/$DIR/kubeconfig" java ${BENCH_JAVA_OPTS:-} -jar target/quarkus-app/quarkus-run.jar bench --api kubeconfig "$@"
STATUS=$?
set -e
exit $STATUS
