import * as pulumi from "@pulumi/pulumi";
import { Platform, PlatformArgs, PlatformInfo } from "./platform";

/** Bare metal: nothing installed. The reference every comparison is made against. */
export class Baseline extends Platform {
  public readonly info: pulumi.Output<PlatformInfo>;
  constructor(name: string, _args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Baseline", name, opts);
    const info: PlatformInfo = { type: "baseline" as const, managed: true };
    this.info = pulumi.output(info).apply((v) => v as PlatformInfo);
    this.registerOutputs({ info: this.info });
  }
}
