package netdev

import (
	"strings"
	"testing"
)

const sample = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1200      12    0    0    0     0          0         0     1200      12    0    0    0     0       0          0
  eth0: 9876543    4321    0    0    0     0          0         0   123456     789    0    0    0     0       0          0
`

func TestParse(t *testing.T) {
	devs, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs[1] != (Device{Name: "eth0", RxBytes: 9876543, TxBytes: 123456, RxPackets: 4321, TxPackets: 789}) {
		t.Errorf("Parse = %+v", devs)
	}
	if _, err := Parse(strings.NewReader("h\nh\nbroken line\n")); err == nil {
		t.Error("a line without a name was accepted")
	}
}
