//go:build tools

// Package tools pins Trivy, which test/linters/run.sh builds (tools/linters/build.sh); it is never built itself.
// Trivy has a module of its own, apart from kube-score's (tools/linters/go.mod), so that neither changes the
// versions the other is built with.
package tools

import (
	_ "github.com/aquasecurity/trivy/cmd/trivy"
)
