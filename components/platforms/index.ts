import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { baseline } from "./baseline";
import { Guest, GuestInfo, GuestsArgs, PlatformKind } from "./kind";
import { kvm } from "./kvm";
import { lxc } from "./lxc";
import { openvz } from "./openvz";
import { Platform, PlatformArgs, PlatformInfo } from "./platform";
import { vmware } from "./vmware";
import { xen } from "./xen";

export { Baseline, hostTarget } from "./baseline";
export { Kvm, KvmGuest } from "./kvm";
export { Lxc, LxcGuest } from "./lxc";
export { OpenVz, OpenVzGuest } from "./openvz";
export { Vmware, VmwareGuest } from "./vmware";
export { Xen, XenGuest } from "./xen";
export { Platform };
export type { Guest, GuestInfo, GuestsArgs, PlatformArgs, PlatformInfo };

/** Every platform kind, by its config `type`: adding a kind is a folder and a line here. */
export const platformKinds: { [T in PlatformConfig["type"]]: PlatformKind<T> } = {
  baseline,
  kvm,
  xen,
  lxc,
  openvz,
  vmware,
};

/** Whether the platform boots its server into another kernel (kind.ts rebootsServer). */
export const rebootsServer = (p: PlatformConfig): boolean =>
  platformKinds[p.type].rebootsServer === true;

/** The platform component for a platform config. */
export function createPlatform(
  name: string,
  args: PlatformArgs,
  opts?: pulumi.ComponentResourceOptions,
): Platform {
  return platformKinds[args.config.type].platform(name, args, opts);
}

/** The guests a platform config declares, `count` of each, children of the platform. */
export function createGuests(args: GuestsArgs): Guest[] {
  // The table is keyed by the config's own type: its kind takes its config.
  const kind = platformKinds[args.config.type] as PlatformKind<PlatformConfig["type"]>;
  return kind.guests(args as never);
}

export function guestInfos(guests: Guest[]): pulumi.Output<GuestInfo[]> {
  return pulumi.all(guests.map((g) => g.info)).apply((infos) => infos as GuestInfo[]);
}
