module github.com/acme/checkout

go 1.22
