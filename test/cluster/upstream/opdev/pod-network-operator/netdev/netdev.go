// Package netdev reads a network namespace's interfaces from <proc>/net/dev.
package netdev

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Device is one interface's counters.
type Device struct {
	Name      string
	RxBytes   uint64
	TxBytes   uint64
	RxPackets uint64
	TxPackets uint64
}

// Parse reads the text of /proc/net/dev.
func Parse(r io.Reader) ([]Device, error) {
	var devs []Device
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		if n <= 2 {
			continue // the two header lines
		}
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			return nil, fmt.Errorf("line %d: no interface name", n)
		}
		f := strings.Fields(rest)
		if len(f) < 16 {
			return nil, fmt.Errorf("line %d: %d fields, want 16", n, len(f))
		}
		var v [4]uint64
		for i, idx := range []int{0, 8, 1, 9} {
			x, err := strconv.ParseUint(f[idx], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			v[i] = x
		}
		devs = append(devs, Device{Name: strings.TrimSpace(name), RxBytes: v[0], TxBytes: v[1], RxPackets: v[2], TxPackets: v[3]})
	}
	return devs, sc.Err()
}
