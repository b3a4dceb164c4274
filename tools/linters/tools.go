//go:build tools

// Package tools pins the linters test/linters/run.sh builds; it is never built itself.
package tools

import (
	_ "github.com/zegl/kube-score/cmd/kube-score"
)
