package cluster

// The answer of the CRI's RuntimeService/ListContainers (k8s.io/cri-api runtime/v1), as the runtime-socket
// environment gets it with curl over the mounted socket: gRPC frames holding a ListContainersResponse. Decoded
// with protowire by field number, so that no CRI client is needed in the image or here.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// criContainer: the fields of runtime.v1.Container the test reads.
type criContainer struct {
	id     string            // 1
	name   string            // 3: ContainerMetadata.name (1)
	labels map[string]string // 8: io.kubernetes.pod.name, io.kubernetes.pod.namespace ...
}

func (c criContainer) String() string {
	return fmt.Sprintf("%s/%s/%s", c.labels["io.kubernetes.pod.namespace"], c.labels["io.kubernetes.pod.name"], c.name)
}

// decodeListContainers reads the gRPC frames (1 byte compressed flag, 4 bytes length, the message) of a
// ListContainersResponse (containers = 1).
func decodeListContainers(body []byte) ([]criContainer, error) {
	var out []criContainer
	for len(body) > 0 {
		if len(body) < 5 {
			return nil, fmt.Errorf("a truncated gRPC frame header (%d bytes)", len(body))
		}
		if body[0] != 0 {
			return nil, fmt.Errorf("a compressed gRPC frame")
		}
		n := binary.BigEndian.Uint32(body[1:5])
		if uint32(len(body)-5) < n {
			return nil, fmt.Errorf("a gRPC frame of %d bytes with %d left", n, len(body)-5)
		}
		msg := body[5 : 5+n]
		body = body[5+n:]
		err := protoFields(msg, func(num protowire.Number, v []byte) error {
			if num != 1 {
				return nil
			}
			c, err := decodeContainer(v)
			out = append(out, c)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeContainer(msg []byte) (criContainer, error) {
	c := criContainer{labels: map[string]string{}}
	err := protoFields(msg, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			c.id = string(v)
		case 3:
			return protoFields(v, func(n protowire.Number, v []byte) error {
				if n == 1 {
					c.name = string(v)
				}
				return nil
			})
		case 8:
			var key, value string
			err := protoFields(v, func(n protowire.Number, v []byte) error {
				switch n {
				case 1:
					key = string(v)
				case 2:
					value = string(v)
				}
				return nil
			})
			c.labels[key] = value
			return err
		}
		return nil
	})
	return c, err
}

// protoFields calls fn with every length-delimited field of a message (the only wire type the fields read here
// have); other wire types are skipped.
func protoFields(msg []byte, fn func(protowire.Number, []byte) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return protowire.ParseError(n)
		}
		msg = msg[n:]
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return protowire.ParseError(m)
			}
			if err := fn(num, v); err != nil {
				return err
			}
			msg = msg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, msg)
		if m < 0 {
			return protowire.ParseError(m)
		}
		msg = msg[m:]
	}
	return nil
}

// The decoder reads what it should from a response encoded here field by field.
func TestDecodeListContainers(t *testing.T) {
	bytesField := func(b []byte, num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
	}
	label := func(k, v string) []byte { return bytesField(bytesField(nil, 1, []byte(k)), 2, []byte(v)) }
	var container []byte
	container = bytesField(container, 1, []byte("abc123"))
	container = protowire.AppendVarint(protowire.AppendTag(container, 7, protowire.VarintType), 1700000000) // created_at
	container = bytesField(container, 3, bytesField(nil, 1, []byte("coredns")))
	container = bytesField(container, 8, label("io.kubernetes.pod.namespace", "kube-system"))
	container = bytesField(container, 8, label("io.kubernetes.pod.name", "coredns-1"))
	msg := bytesField(bytesField(nil, 1, container), 1, bytesField(nil, 1, []byte("def")))
	frame := append([]byte{0, 0, 0, 0, 0}, msg...)
	binary.BigEndian.PutUint32(frame[1:5], uint32(len(msg)))

	got, err := decodeListContainers(frame)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].id != "abc123" || got[0].String() != "kube-system/coredns-1/coredns" || got[1].id != "def" {
		t.Fatalf("decoded %+v", got)
	}
	if _, err := decodeListContainers(frame[:len(frame)-1]); err == nil || !bytes.Contains([]byte(err.Error()), []byte("frame")) {
		t.Fatalf("a truncated frame: %v", err)
	}
}
