// Command pulumi-tfgen-libvirt generates the Pulumi schema (and SDKs) for the
// bridged libvirt provider, e.g. `pulumi-tfgen-libvirt schema --out DIR`.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"virt-testbed.local/toolchain/libvirt/provider"
)

func main() {
	tfgen.Main("libvirt", provider.Version, provider.Info())
}
