module cdk8s-go-remote/tools/gitserver

go 1.26.0
