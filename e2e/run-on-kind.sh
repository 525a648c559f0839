#!/usr/bin/env bash
# Runs the e2e suite against a throwaway kind cluster:  bash e2e/run-on-kind.sh
# Needs kind and a container runtime on the machine (not available in CI, which runs the embedded variant).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${KIND_CLUSTER:-plimsoll-e2e}
kubeconfig=$(mktemp)
trap 'kind delete cluster --name "$name" >/dev/null 2>&1 || true; rm -f "$kubeconfig"' EXIT
kind create cluster --name "$name" --wait 120s
kind get kubeconfig --name "$name" > "$kubeconfig"
PLIMSOLL_E2E_KUBECONFIG="$kubeconfig" ./mvnw -B verify -Dtest='SamplesE2ETest' -Dsurefire.failIfNoSpecifiedTests=false
