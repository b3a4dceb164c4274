package widget

import "testing"

func TestParse(t *testing.T) {
	w, err := Parse("gear:12")
	if err != nil || w != (Widget{Name: "gear", Size: 12}) {
		t.Fatalf("Parse(gear:12) = %v, %v", w, err)
	}
	if w.String() != "gear:12" {
		t.Errorf("String() = %q", w.String())
	}
	for _, bad := range []string{"", "gear", ":3", "gear:0", "gear:x"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
