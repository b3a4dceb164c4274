//go:build tools

// Package tools pins the linters build.sh compiles; it is never built itself.
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
