import * as pulumi from "@pulumi/pulumi";
import { Baseline } from "./baseline";
import { Kvm } from "./kvm";
import { Lxc } from "./lxc";
import { OpenVz } from "./openvz";
import { Platform, PlatformArgs } from "./platform";
import { Vmware } from "./vmware";
import { Xen } from "./xen";

export { Baseline, Kvm, Lxc, OpenVz, Platform, Vmware, Xen };

/** The platform component for a platform config. */
export function createPlatform(
  name: string,
  args: PlatformArgs,
  opts?: pulumi.ComponentResourceOptions,
): Platform {
  switch (args.config.type) {
    case "baseline":
      return new Baseline(name, args, opts);
    case "kvm":
      return new Kvm(name, args, opts);
    case "xen":
      return new Xen(name, args, opts);
    case "lxc":
      return new Lxc(name, args, opts);
    case "openvz":
      return new OpenVz(name, args, opts);
    case "vmware":
      return new Vmware(name, args, opts);
  }
}
