module github.com/opdev/pod-network-operator

go 1.22
