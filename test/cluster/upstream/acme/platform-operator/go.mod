module github.com/acme/platform-operator

go 1.22
