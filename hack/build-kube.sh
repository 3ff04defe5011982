#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler from the k8s.io/kubernetes
# Go module (hack/k8s pins it) and etcd from go.etcd.io/etcd/server (hack/etcd), once, into
# $INFERCTL_CACHE/kube-<key>/bin. Prints that bin directory on stdout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need go "install Go 1.26 or newer (Debian: apt-get install golang, or the official toolchain)"

# The release the wrapper module pins, e.g. v1.36.3. Stamped into the binaries the way the
# release build (kubernetes hack/lib/version.sh) does, so GET /version and `kubectl version`
# report it instead of the source default v0.0.0-master+$Format:%H$. A module archive carries no
# git commit: its tree state is "archive", as for a build from a source tarball.
version="$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9][^ ]*\)$/\1/p' "$HACK_DIR/k8s/go.mod")"
[[ "$version" =~ ^v([0-9]+)\.([0-9]+)\. ]] || die "cannot read the k8s.io/kubernetes version from hack/k8s/go.mod"
version_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=${BASH_REMATCH[1]} -X $pkg.gitMinor=${BASH_REMATCH[2]}"
  version_flags+=" -X $pkg.gitCommit= -X $pkg.gitTreeState=archive"
done
ldflags="-s -w$version_flags"

# The key covers every input of the build, the flags included (not the build date).
key="$(cache_key "$HACK_DIR/k8s/go.mod" "$HACK_DIR/k8s/go.sum" "$HACK_DIR/etcd/go.mod" "$HACK_DIR/etcd/go.sum" "$HACK_DIR/etcd/main.go" <(echo "$ldflags"))"
out="$INFERCTL_CACHE/kube-$key"
stamp="$out/.complete"
bins=(kube-apiserver kube-controller-manager kube-scheduler etcd)
complete() {
  [[ -f "$stamp" ]] || return 1
  for b in "${bins[@]}"; do [[ -x "$out/bin/$b" ]] || return 1; done
}
use_cached_or_lock "kube-$key" "$out/bin"

rm -rf "$out" && mkdir -p "$out/bin.partial"
echo "inferctl: building Kubernetes $version control-plane binaries into $out (first time only; ~10 min on 2 cores)" >&2
start=$(date +%s)
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
kube_ldflags="$ldflags"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.buildDate=$build_date"
done
(cd "$HACK_DIR/k8s" && go build -trimpath -ldflags "$kube_ldflags" -o "$out/bin.partial/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler) >&2
(cd "$HACK_DIR/etcd" && go build -trimpath -ldflags "-s -w" -o "$out/bin.partial/etcd" .) >&2
mv "$out/bin.partial" "$out/bin"
echo "built in $(( $(date +%s) - start ))s" > "$stamp"
echo "inferctl: binaries built in $(( $(date +%s) - start ))s" >&2
echo "$out/bin"
