// Package operator is the stand-in for github.com/acme/platform-operator (examples/fleet-flux.ts): the
// decision step of a reconcile loop, kept free of any client so that it is tested alone.
package operator

import "fmt"

// Action is what a reconcile decides to do.
type Action string

// The actions Reconcile returns.
const (
	Create Action = "create"
	Scale  Action = "scale"
	None   Action = "none"
	Delete Action = "delete"
)

// Desired is the spec; Observed is what the cluster has (nil: nothing yet).
type Desired struct {
	Replicas int
	Deleted  bool
}

// Observed is the observed state of the managed workload.
type Observed struct{ Replicas int }

// Reconcile returns the action that moves observed to desired.
func Reconcile(d Desired, o *Observed) (Action, error) {
	switch {
	case d.Replicas < 0:
		return None, fmt.Errorf("replicas %d: must not be negative", d.Replicas)
	case d.Deleted && o == nil:
		return None, nil
	case d.Deleted:
		return Delete, nil
	case o == nil:
		return Create, nil
	case o.Replicas != d.Replicas:
		return Scale, nil
	}
	return None, nil
}
