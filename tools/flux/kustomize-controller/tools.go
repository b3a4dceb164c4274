//go:build tools

// Package tools pins the program tools/flux/build.sh compiles (the module root of
// github.com/fluxcd/kustomize-controller, a main package); it is never built itself.
package tools

import _ "github.com/fluxcd/kustomize-controller"
