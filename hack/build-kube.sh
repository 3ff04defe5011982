#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler from the k8s.io/kubernetes
# Go module (hack/k8s pins it) and etcd from go.etcd.io/etcd/server (hack/etcd), once, into
# $INFERCTL_CACHE/kube-<key>/bin. Prints that bin directory on stdout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need go "install Go 1.26 or newer (Debian: apt-get install golang, or the official toolchain)"

key="$(cache_key "$HACK_DIR/k8s/go.mod" "$HACK_DIR/k8s/go.sum" "$HACK_DIR/etcd/go.mod" "$HACK_DIR/etcd/go.sum" "$HACK_DIR/etcd/main.go")"
out="$INFERCTL_CACHE/kube-$key"
stamp="$out/.complete"
bins=(kube-apiserver kube-controller-manager kube-scheduler etcd)

if [[ -f "$stamp" ]] && for b in "${bins[@]}"; do [[ -x "$out/bin/$b" ]] || exit 1; done; then
  echo "$out/bin"
  exit 0
fi

rm -rf "$out" && mkdir -p "$out/bin.partial"
echo "inferctl: building Kubernetes control-plane binaries into $out (first time only; ~10 min on 2 cores)" >&2
start=$(date +%s)
(cd "$HACK_DIR/k8s" && go build -trimpath -ldflags "-s -w" -o "$out/bin.partial/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler) >&2
(cd "$HACK_DIR/etcd" && go build -trimpath -ldflags "-s -w" -o "$out/bin.partial/etcd" .) >&2
mv "$out/bin.partial" "$out/bin"
echo "built in $(( $(date +%s) - start ))s" > "$stamp"
echo "inferctl: binaries built in $(( $(date +%s) - start ))s" >&2
echo "$out/bin"
