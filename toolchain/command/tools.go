//go:build tools

// Package tools only records the main package this module builds.
package tools

import _ "github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command"
