// Wrapper module that pins the Pulumi command provider (v1.2.1, the version
// @pulumi/command 1.2.1 asks for) so it builds from the Go module proxy.
module virt-testbed.local/toolchain/command

go 1.24

require github.com/pulumi/pulumi-command v1.2.1
