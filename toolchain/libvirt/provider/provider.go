// Package provider maps terraform-provider-libvirt onto a Pulumi package
// named "libvirt" via the Pulumi Terraform bridge.
package provider

import (
	"os"

	libvirttf "github.com/dmacvicar/terraform-provider-libvirt/libvirt"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

// Version is stamped at link time:
//
//	-ldflags "-X virt-testbed.local/toolchain/libvirt/provider.Version=0.8.3"
var Version = "0.8.3"

const (
	pkgName    = "libvirt"
	mainModule = "index"
)

// UpstreamRepoEnv optionally points tfgen at the unpacked upstream module
// (the directory holding website/docs) so docs can be read without network.
const UpstreamRepoEnv = "LIBVIRT_UPSTREAM_REPO_PATH"

// Info returns the bridge description of the libvirt provider.
func Info() tfbridge.ProviderInfo {
	p := shimv2.NewProvider(libvirttf.Provider())

	prov := tfbridge.ProviderInfo{
		P:                 p,
		Name:              "libvirt",
		DisplayName:       "libvirt",
		Version:           Version,
		GitHubOrg:         "dmacvicar",
		Publisher:         "virt-testbed (built locally from terraform-provider-libvirt)",
		Description:       "libvirt resources for Pulumi, bridged locally from terraform-provider-libvirt.",
		Keywords:          []string{"pulumi", "libvirt"},
		License:           "Apache-2.0",
		Homepage:          "https://libvirt.org",
		UpstreamRepoPath:  os.Getenv(UpstreamRepoEnv),
		TFProviderVersion: "0.8.3",
		Config: map[string]*tfbridge.SchemaInfo{
			"uri": {
				Default: &tfbridge.DefaultInfo{EnvVars: []string{"LIBVIRT_DEFAULT_URI"}},
			},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			// The default camel-casing would yield "CloudinitDisk"; keep the
			// historical @pulumi/libvirt name instead.
			"libvirt_cloudinit_disk": {
				Tok:  tfbridge.MakeResource(pkgName, mainModule, "CloudInitDisk"),
				Docs: &tfbridge.DocInfo{Source: "cloudinit.html.markdown"},
			},
			"libvirt_ignition": {
				Tok:  tfbridge.MakeResource(pkgName, mainModule, "Ignition"),
				Docs: &tfbridge.DocInfo{Source: "coreos_ignition.html.markdown"},
			},
		},
		JavaScript: &tfbridge.JavaScriptInfo{
			PackageName: "@pulumi/libvirt",
			Dependencies: map[string]string{
				"@pulumi/pulumi": "^3.0.0",
			},
			DevDependencies: map[string]string{
				"@types/node": "^10.0.0",
			},
		},
	}

	// Everything else: libvirt_foo_bar -> libvirt:index/fooBar:FooBar and
	// data source libvirt_foo_bar -> libvirt:index/getFooBar:getFooBar.
	prov.MustComputeTokens(tokens.SingleModule("libvirt_", mainModule, tokens.MakeStandard(pkgName)))
	// libvirt requires names; let Pulumi derive them from the resource name.
	prov.SetAutonaming(255, "-")

	return prov
}
