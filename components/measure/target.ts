import * as pulumi from "@pulumi/pulumi";
import { SshConnectionInput } from "../command";

/**
 * Where a benchmark runs: bare metal, a container or a VM. A run's script
 * executes over `connection` (or on this machine), entering the container
 * first when `enter` says so.
 */
export interface Target {
  server: string;
  platform: string;
  /** "host" for bare metal, else the guest's object name. */
  guest: string;
  connection?: SshConnectionInput;
  enter?: { kind: "lxc"; name: string; lxcpath: string } | { kind: "openvz"; ctid: number };
  /** The target exists and answers once these are created. */
  ready: pulumi.Resource[];
  /** What the results record about the target (facts or guest spec). */
  info: pulumi.Output<unknown>;
}

export const targetKey = (t: Pick<Target, "server" | "platform" | "guest">) =>
  `${t.server}/${t.platform}/${t.guest}`;
