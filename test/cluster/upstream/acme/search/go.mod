module github.com/acme/search

go 1.22
