// Command pod-network-operator (the stand-in for github.com/opdev/pod-network-operator, which
// examples/pod-network-operator.ts clones and runs with `go run ./main.go`) lists the network interfaces of the
// process whose /proc it is given: with the hostProc() profile the node's /proc is mounted at /tmp/proc.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opdev/pod-network-operator/netdev"
)

func main() {
	proc := flag.String("proc", "/proc", "the proc filesystem to read (the node's: /tmp/proc)")
	pid := flag.String("pid", "self", "the process whose network namespace is read (1: the node's, with a host /proc)")
	flag.Parse()
	f, err := os.Open(filepath.Join(*proc, *pid, "net", "dev"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	devs, err := netdev.Parse(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, d := range devs {
		fmt.Printf("%s rx=%d tx=%d\n", d.Name, d.RxBytes, d.TxBytes)
	}
}
