module cdk8s-go-remote/tools/cluster/pause

go 1.22
