import { isIpv4 } from "../../benchmarks/types";

/*
 * What reaches what, for a pair benchmark (iperf, ab): one rule, read by
 * config validation (before any resource) and by the run that pairs two
 * targets (pairing.ts). Pure: it sees platform kinds and names only.
 */

/**
 * A machine reached over SSH at an IPv4 address without a jump host: another
 * machine (another server, this server for its VMware guest) reaches it at
 * that address too, so it can serve a pair there.
 */
export function reachedAtAddress(c: { type?: string; host?: string; jump?: unknown }): boolean {
  return (c.type === undefined || c.type === "ssh") && !c.jump && isIpv4(c.host ?? "");
}

/** One side of a pair, as config and a run both know it. */
export interface PairSide {
  /** `<server>/<platform>/<guest>`, as config names it. */
  key: string;
  /** The physical server it is on. */
  physical: string;
  platform: string;
  /** For a server's host or a VMware guest: reachedAtAddress of its connection. */
  atAddress: boolean;
  /** A server's host whose key is the ssh-agent's on this machine: no other server can use it. */
  agentKey?: boolean;
}

export interface PairProblem {
  /** The side at fault: the pair as a whole, its server or its client. */
  at: "pair" | "server" | "client";
  message: string;
}

/**
 * Why a pair's server (the side that listens) in `listener` cannot be reached
 * by its client in `client`,
 * or undefined: a server's host reaches each of its targets; a KVM guest
 * reaches its host's loopback, so bare metal and the other KVM guests'
 * forwards; across servers a pair runs host to host, the server's host
 * reached at its SSH address. A container's own network namespace is reached
 * from its host only.
 */
export function pairProblem(listener: PairSide, client: PairSide): PairProblem | undefined {
  if (listener.key === client.key) return { at: "pair", message: "a pair needs two targets" };
  if (listener.physical === client.physical) {
    if (client.platform === "kvm" && !["baseline", "kvm"].includes(listener.platform)) {
      return {
        at: "client",
        message:
          `a kvm guest reaches its host's loopback, so bare metal and other kvm guests, not ${listener.key}` +
          (listener.platform === "lxc"
            ? " (a container's namespace is reached from its host only)"
            : ""),
      };
    }
    if (client.platform !== "baseline" && client.platform !== "kvm") {
      return {
        at: "client",
        message: `a client runs on a server's host or in a kvm guest, not in ${client.platform}`,
      };
    }
    if (listener.platform === "vmware" && !listener.atAddress) {
      return {
        at: "server",
        message:
          "a vmware guest serves a pair when its connection is an IPv4 host without a jump host (its server reaches it there)",
      };
    }
    return undefined;
  }
  if (listener.platform !== "baseline" || client.platform !== "baseline") {
    return {
      at: "pair",
      message: "across two servers a pair runs between their hosts (<server>/baseline/host)",
    };
  }
  if (!listener.atAddress) {
    return {
      at: "server",
      message: `server ${listener.physical} is reached from ${client.physical} at its SSH address: it needs connection type ssh with an IPv4 host and no jump host`,
    };
  }
  if (listener.agentKey) {
    return {
      at: "server",
      message: `server ${listener.physical} is reached from ${client.physical} with its key, which ssh-agent keeps on this machine: give it privateKeyFile or a key under testbed:sshKeys instead of agent: true`,
    };
  }
  return undefined;
}
