module cdk8s-go-remote/test/cluster/goproxy

go 1.26.0
