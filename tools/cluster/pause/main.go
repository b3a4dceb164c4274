// Command pause is the cluster tier's sandbox ("pause") container: the process that holds a pod's
// namespaces. It does what Kubernetes' own pause does (build/pause/linux/pause.c): it waits, reaps the
// zombies of a shared PID namespace, and exits when it receives SIGINT or SIGTERM.
//
// Built statically (CGO_ENABLED=0) by tools/cluster/build.sh and put into an image of its own by
// tools/cluster/images.sh, because no registry can be reached to pull registry.k8s.io/pause.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Println("pause (cdk8s-go-remote cluster tier)")
		return
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: warning: not PID 1")
	}
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			fmt.Fprintf(os.Stderr, "pause: shutting down, got signal %v\n", sig)
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child, so that none stays a zombie.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
