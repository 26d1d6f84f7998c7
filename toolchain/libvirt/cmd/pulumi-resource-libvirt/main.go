// Command pulumi-resource-libvirt serves the bridged libvirt provider to the
// Pulumi engine. schema-embed.json is produced by build.sh (tfgen output) and
// copied here right before the build; it is gitignored.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"virt-testbed.local/toolchain/libvirt/provider"
)

//go:embed schema-embed.json
var pulumiSchema []byte

func main() {
	tfbridge.Main("libvirt", provider.Version, provider.Info(), pulumiSchema)
}
