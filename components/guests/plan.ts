/*
 * One plan of a server's guests: what each guest of the config becomes on its
 * server (instance name, loopback ports, ordinal, address, CTID), computed once
 * by a pure function that both config validation and the guest components read.
 */

/**
 * Guest ports a KVM guest forwards to its server's loopback besides SSH, at
 * these offsets from its SSH port: the pair benchmarks' servers' (kvmForwards).
 */
export const forwardOffsets: Readonly<Record<string, number>> = {
  iperf3: 1000,
  iperf: 2000,
  ab: 3000,
};
export const maxForwardOffset = Math.max(...Object.values(forwardOffsets));

/** The first Xen and OpenVZ guest address's last byte (10.19x.0.10), and the last usable (254). */
export const firstAddressByte = 10;
/** Default OpenVZ CTIDs start here, followed by the server-wide ordinal. */
export const firstCtid = 1000;

/** What the plan reads of a server's config (structurally: no import of the schema). */
export interface PlanServer {
  guestSshPortBase: number;
  platforms: readonly {
    type: string;
    guests?: readonly { name: string; count?: number; ctid?: number }[];
  }[];
}

export interface PlannedGuest {
  platform: string;
  /** Where in the server's config: platforms[platformIndex].guests[guestIndex]. */
  platformIndex: number;
  guestIndex: number;
  /** The guest's configured name, and which of its `count` instances this is. */
  guest: string;
  index: number;
  count: number;
  /** name-0, name-1 ... (name alone when count is 1). */
  instance: string;
  /** KVM: the server's loopback port for the guest's SSH, base up in config order. */
  sshPort?: number;
  /** Xen and OpenVZ: the guest's number on its server, for its address (and default CTID). */
  ordinal?: number;
  /** Xen: 10.198.0.x; OpenVZ: 10.197.0.x. */
  address?: string;
  /** OpenVZ: its container id (configured ctid + index, else firstCtid + ordinal). */
  ctid?: number;
}

/** The server's guests, instance by instance, in config order. */
export function planGuests(server: PlanServer): PlannedGuest[] {
  let sshPort = server.guestSshPortBase;
  let ordinal = 0;
  const out: PlannedGuest[] = [];
  server.platforms.forEach((p, platformIndex) =>
    (p.guests ?? []).forEach((g, guestIndex) => {
      // VMware guests exist already: one each, nothing assigned.
      const count = p.type === "vmware" ? 1 : (g.count ?? 1);
      for (let index = 0; index < count; index++) {
        const entry: PlannedGuest = {
          platform: p.type,
          platformIndex,
          guestIndex,
          guest: g.name,
          index,
          count,
          instance: count > 1 ? `${g.name}-${index}` : g.name,
        };
        if (p.type === "kvm") entry.sshPort = sshPort++;
        if (p.type === "xen" || p.type === "openvz") {
          const n = ordinal++;
          entry.ordinal = n;
          entry.address = `10.${p.type === "xen" ? 198 : 197}.0.${firstAddressByte + n}`;
          if (p.type === "openvz") {
            entry.ctid = g.ctid === undefined ? firstCtid + n : g.ctid + index;
          }
        }
        out.push(entry);
      }
    }),
  );
  return out;
}

/** A KVM guest's loopback port for each forwarded guest port (forwards: guest port -> offset). */
export function forwardPorts(
  sshPort: number,
  forwards: Readonly<Record<number, number>>,
): Record<number, number> {
  return Object.fromEntries(Object.entries(forwards).map(([g, off]) => [g, sshPort + off]));
}
