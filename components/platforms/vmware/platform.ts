import * as pulumi from "@pulumi/pulumi";
import { Platform, PlatformArgs, PlatformInfo } from "../platform";

/**
 * VMware, external: guests that already exist, reached over SSH. Nothing is
 * installed or removed; the outputs say so.
 */
export class Vmware extends Platform {
  public readonly info: pulumi.Output<PlatformInfo>;
  constructor(name: string, _args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Vmware", name, opts);
    const info: PlatformInfo = {
      type: "vmware" as const,
      managed: false,
      note: "external: existing VMware guests reached over SSH; nothing installed or removed",
    };
    this.info = pulumi.output(info).apply((v) => v as PlatformInfo);
    this.registerOutputs({ info: this.info });
  }
}
