import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import type { GuestImage } from "../guests/image";
import type { GuestKey } from "../guests/key";
import type { PlannedGuest } from "../guests/plan";
import type { Target } from "../measure/target";
import type { PhysicalServer } from "../server";
import type { Platform, PlatformArgs } from "./platform";

/*
 * A platform kind (baseline, kvm, xen, lxc, openvz, vmware) is one folder of
 * components/platforms: its platform component, its guest component and their
 * scripts, and an index.ts whose `kind` the table in platforms/index.ts lists.
 */

/** What every guest reports in the stack outputs. */
export interface GuestInfo {
  kind: Exclude<PlatformConfig["type"], "baseline">;
  name: string;
  [key: string]: unknown;
}

/** What every made guest's component is given: its server, and which planned instance it is. */
export interface GuestBaseArgs {
  server: PhysicalServer;
  stack: string;
  /** The guest's configured name, and which of its `count` instances this is. */
  guest: string;
  index: number;
  count: number;
}

/** A guest component: what it reports, and where benchmarks run in it. */
export interface Guest extends pulumi.ComponentResource {
  readonly info: pulumi.Output<GuestInfo>;
  readonly target: Target;
}

/** What a kind's guest factory is given for one platform of one server. */
export interface GuestsArgs<
  C extends PlatformConfig = PlatformConfig,
  P extends Platform = Platform,
> {
  server: PhysicalServer;
  platform: P;
  config: C;
  stack: string;
  /** Built on first use, shared by the server's platforms. */
  image: () => GuestImage;
  key: () => GuestKey;
  /** This platform's guests as the server's plan has them (ports, addresses, CTIDs). */
  plan: PlannedGuest[];
  /** KVM guests' forwards besides SSH: guest port -> offset from its SSH port (kvmForwards). */
  kvmForwards: Record<number, number>;
  /** SSH private keys by name (for existing VMware guests). */
  sshKeys: pulumi.Output<Record<string, string>>;
}

/** One platform kind: its platform component and the guests a platform config declares. */
export interface PlatformKind<T extends PlatformConfig["type"]> {
  platform(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions): Platform;
  /** The guests, `count` of each as planned, children of the platform. */
  guests(args: GuestsArgs<Extract<PlatformConfig, { type: T }>>): Guest[];
  /**
   * It boots the server into another kernel (Xen's hypervisor, with the
   * host as dom0): the server's bare metal is measured before, on the plain
   * kernel, in runs of its own (components/testbed.ts).
   */
  rebootsServer?: boolean;
}

/** A guest's resource name: the server, the kind and the planned instance. */
export const guestResourceName = (args: GuestsArgs, instance: string) =>
  `${args.server.config.name}-${args.config.type}-${instance}`;

/** A configured guest's instances, as planned. */
export const instancesOf = (args: GuestsArgs, g: { name: string }) =>
  args.plan.filter((e) => e.guest === g.name);
