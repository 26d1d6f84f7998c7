import * as pulumi from "@pulumi/pulumi";
import { SshConnectionInput } from "../command";
import { TargetName, targetKey } from "./target-name";
import { Pause, Way } from "./way";

export { targetKey };

/**
 * Where a benchmark runs: bare metal, a container or a VM. A run's script
 * executes over `connection` (or on this machine), entering the container
 * first when `enter` says so.
 */
export interface Target extends TargetName {
  connection?: SshConnectionInput;
  enter?: { kind: "lxc"; name: string; lxcpath: string } | { kind: "openvz"; ctid: number };
  /** The target exists and answers once these are created. */
  ready: pulumi.Resource[];
  /** Why the target did not come up ("" when it did): its benchmarks are then not run. */
  failure?: pulumi.Output<string>;
  /** What the results record about the target (facts or guest spec). */
  info: pulumi.Output<unknown>;
  /** How a benchmark between this target and its server's host pairs up (iperf); absent: not possible. */
  peer?: Peer;
  /** Why it has no peer, when config could give it one (said at preview). */
  noPeer?: string;
  /**
   * A guest that can run a pair's client: the address at which it reaches its
   * server's loopback (QEMU user networking: 10.0.2.2), so a server bound there
   * (bare metal, another VM's forward) is reachable from it.
   */
  hostLoopback?: string;
  /** How the server pauses this guest while its other targets are measured; absent: it cannot. */
  pause?: Pause;
  /** A server's host that another server reaches (an SSH server at an IPv4 address). */
  remote?: { address: string; way: Way };
}

/**
 * A server inside the target, a client on the physical server's side: where
 * the server binds, where the client connects, and how the host side reaches
 * into the target to start and stop the server.
 */
export interface Peer {
  /** How the host side starts and stops the server inside the target. */
  way: Way;
  /** The address a server in the target listens on. */
  bind: string;
  /** Where a client on the server's side connects for a port in the target. */
  connect(port: number): { host: string; port: number };
  /** The client runs in this network namespace (containers). */
  netns?: string;
}
