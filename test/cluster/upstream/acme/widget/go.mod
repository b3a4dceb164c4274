module github.com/acme/widget

go 1.22
