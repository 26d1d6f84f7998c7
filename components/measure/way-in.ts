import * as pulumi from "@pulumi/pulumi";
import { script } from "../bash";
import { isWayKey, markerFunctions, wayFields, wayVariable } from "./protocol";
import { Target } from "./target";
import { Way } from "./way";

/** way-in.sh (way_in, runner_text) after the functions that print the protocol's markers. */
export const wayInScript = markerFunctions + script(__dirname, "way-in.sh");

/** A script of this folder that uses `way_in`, with wayInScript in front of it. */
export const withWayIn = (file: string) =>
  wayInScript + script(__dirname, "units.sh") + script(__dirname, file);

/** The environment that tells `way_in PREFIX` where to go; an SSH key as a secret. */
export function wayEnv(prefix: string, w: Way): Record<string, pulumi.Input<string>> {
  const v = (field: string) => wayVariable(prefix, field);
  switch (w.via) {
    case "host":
      return { [v(wayFields.via)]: "host" };
    case "netns":
      return { [v(wayFields.via)]: "netns", [v(wayFields.name)]: w.netns };
    case "lxc":
      return {
        [v(wayFields.via)]: "lxc",
        [v(wayFields.name)]: w.name,
        [v(wayFields.lxcpath)]: w.lxcpath,
      };
    case "openvz":
      return { [v(wayFields.via)]: "openvz", [v(wayFields.name)]: String(w.ctid) };
    case "ssh":
      return {
        [v(wayFields.via)]: "ssh",
        [v(wayFields.sshHost)]: w.host,
        [v(wayFields.sshPort)]: String(w.port),
        [v(wayFields.sshUser)]: w.user ?? "root",
        [v(wayFields.sshKey)]: pulumi.secret(w.privateKey),
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
  Object.fromEntries(Object.entries(env).filter(([k]) => !isWayKey(k)));
