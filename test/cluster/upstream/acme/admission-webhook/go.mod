module github.com/acme/admission-webhook

go 1.22
