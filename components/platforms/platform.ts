import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config";
import { PhysicalServer } from "../server";

export interface PlatformArgs {
  server: PhysicalServer;
  config: PlatformConfig;
}

/** What every platform reports in the stack outputs. */
export interface PlatformInfo {
  type: PlatformConfig["type"];
  /** Installed and managed by this stack, or existing and only used (vmware). */
  managed: boolean;
  [key: string]: unknown;
}

/** A hypervisor or container runtime installed on one physical server. */
export abstract class Platform extends pulumi.ComponentResource {
  public abstract readonly info: pulumi.Output<PlatformInfo>;
  constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(`testbed:platform:${type}`, name, {}, opts);
  }
}
