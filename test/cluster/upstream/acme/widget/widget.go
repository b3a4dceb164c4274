// Package widget is the stand-in for github.com/acme/widget, the repository examples/basic.ts clones.
package widget

import (
	"fmt"
	"strings"
)

// Widget is a named part with a size in millimetres.
type Widget struct {
	Name string
	Size int
}

// Parse reads "name:size", as the command line takes it.
func Parse(s string) (Widget, error) {
	name, size, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return Widget{}, fmt.Errorf("widget %q: want name:size", s)
	}
	var n int
	if _, err := fmt.Sscanf(size, "%d", &n); err != nil || n <= 0 {
		return Widget{}, fmt.Errorf("widget %q: size must be a positive integer", s)
	}
	return Widget{Name: name, Size: n}, nil
}

// String is the form Parse reads.
func (w Widget) String() string { return fmt.Sprintf("%s:%d", w.Name, w.Size) }
