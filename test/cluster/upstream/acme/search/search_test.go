package search

import (
	"reflect"
	"testing"
)

func TestQuery(t *testing.T) {
	ix := Index{}
	ix.Add("a", "Go remote development")
	ix.Add("b", "remote debugging, with delve")
	if got := ix.Query("remote"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("remote: %v", got)
	}
	if got := ix.Query("Remote DELVE"); !reflect.DeepEqual(got, []string{"b"}) {
		t.Errorf("remote delve: %v", got)
	}
	if got := ix.Query("kubernetes"); len(got) != 0 {
		t.Errorf("kubernetes: %v", got)
	}
}
