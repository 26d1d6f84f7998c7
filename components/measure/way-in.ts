import * as pulumi from "@pulumi/pulumi";
import { script } from "../scripts";
import { Target } from "./target";

/** How the physical server gets a shell inside a target (way-in.sh's `way_in`). */
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

const wayIn = script(__dirname, "way-in.sh");

/** A script of this folder that uses `way_in`, with way-in.sh in front of it. */
export const withWayIn = (file: string) => wayIn + script(__dirname, file);

/** The environment that tells `way_in PREFIX` where to go; an SSH key as a secret. */
export function wayEnv(prefix: string, w: Way): Record<string, pulumi.Input<string>> {
  switch (w.via) {
    case "host":
      return { [`${prefix}_VIA`]: "host" };
    case "netns":
      return { [`${prefix}_VIA`]: "netns", [`${prefix}_NAME`]: w.netns };
    case "lxc":
      return {
        [`${prefix}_VIA`]: "lxc",
        [`${prefix}_NAME`]: w.name,
        [`${prefix}_LXCPATH`]: w.lxcpath,
      };
    case "openvz":
      return { [`${prefix}_VIA`]: "openvz", [`${prefix}_NAME`]: String(w.ctid) };
    case "ssh":
      return {
        [`${prefix}_VIA`]: "ssh",
        [`${prefix}_SSH_HOST`]: w.host,
        [`${prefix}_SSH_PORT`]: String(w.port),
        [`${prefix}_SSH_USER`]: w.user ?? "root",
        [`${prefix}_SSH_KEY`]: pulumi.secret(w.privateKey),
      };
  }
}

/** How the target's own physical server enters it to run a benchmark there; undefined: it cannot. */
export function wayInto(t: Target): Way | undefined {
  if (t.enter?.kind === "lxc") return { via: "lxc", name: t.enter.name, lxcpath: t.enter.lxcpath };
  if (t.enter?.kind === "openvz") return { via: "openvz", ctid: t.enter.ctid };
  if (t.peer?.way.via === "ssh") return t.peer.way;
  return undefined;
}

/** The ways' environment without the keys: what a run's definition is made of. */
export const withoutKeys = (env: Record<string, pulumi.Input<string>>) =>
  Object.fromEntries(Object.entries(env).filter(([k]) => !/_SSH_KEY$/.test(k)));
