import * as pulumi from "@pulumi/pulumi";

/**
 * How the physical server gets a shell inside a target (way-in.sh's `way_in`).
 * Its own module, so target.ts and way-in.ts both import it without importing
 * each other.
 */
export type Way =
  | { via: "host" }
  | { via: "netns"; netns: string }
  | { via: "lxc"; name: string; lxcpath: string }
  | { via: "openvz"; ctid: number }
  | {
      via: "ssh";
      host: string;
      port: number;
      user?: string;
      privateKey: pulumi.Input<string>;
    };

/**
 * How the physical server pauses a guest while another target is measured,
 * and resumes it (interleave.sh's `quiet`): libvirt suspend, lxc-freeze, xl
 * pause, vzctl suspend. A guest without one keeps running beside the others.
 */
export type Pause =
  | { via: "libvirt"; name: string }
  | { via: "xen"; name: string }
  | { via: "lxc"; name: string; lxcpath: string }
  | { via: "openvz"; ctid: number };
