package operator

import "testing"

func TestReconcile(t *testing.T) {
	for _, c := range []struct {
		d    Desired
		o    *Observed
		want Action
	}{
		{Desired{Replicas: 1}, nil, Create},
		{Desired{Replicas: 2}, &Observed{Replicas: 1}, Scale},
		{Desired{Replicas: 1}, &Observed{Replicas: 1}, None},
		{Desired{Deleted: true}, &Observed{Replicas: 1}, Delete},
		{Desired{Deleted: true}, nil, None},
	} {
		if got, err := Reconcile(c.d, c.o); err != nil || got != c.want {
			t.Errorf("Reconcile(%+v, %+v) = %s, %v; want %s", c.d, c.o, got, err, c.want)
		}
	}
	if _, err := Reconcile(Desired{Replicas: -1}, nil); err == nil {
		t.Error("negative replicas accepted")
	}
}
