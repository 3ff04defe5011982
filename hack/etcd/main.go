// Command etcd runs the etcd server from the pinned go.etcd.io/etcd/server module, so that the
// local control planes need no etcd binary from elsewhere.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
