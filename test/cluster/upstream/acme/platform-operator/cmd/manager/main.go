// Command manager prints the action for a desired and an observed replica count (the operator's dry run).
package main

import (
	"flag"
	"fmt"
	"os"

	operator "github.com/acme/platform-operator"
)

func main() {
	desired := flag.Int("replicas", 1, "desired replicas")
	observed := flag.Int("observed", -1, "observed replicas (-1: none)")
	flag.Parse()
	var o *operator.Observed
	if *observed >= 0 {
		o = &operator.Observed{Replicas: *observed}
	}
	action, err := operator.Reconcile(operator.Desired{Replicas: *desired}, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(action)
}
