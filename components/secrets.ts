import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

/*
 * Config values the user set as secret (`config set --secret`, with or without
 * --path) stay secret wherever the program puts them: a resource input that
 * holds one is stored as a secret, and a step's output, an error, a stack
 * output, the archive and the report show `[secret]` in its place.
 *
 * Pulumi tells a program only which top-level keys hold a secret: a secret set
 * with --path marks its whole key (`testbed:benchmarks`, all benchmarks). The
 * stack file says which values are secret: those written `secure:`.
 */

/** What stands in for a secret wherever it would be shown. */
export const secretMark = "[secret]";

/** The shortest secret that can be told apart from the rest of an output. */
export const minSecretLength = 6;

export interface ConfigSecrets {
  /** The secret values, the longest first. */
  values: string[];
  /** Settings that cannot be kept secret, each naming its key. */
  issues: string[];
  /** Keys whose secret values could not be told apart: all their text of minSecretLength or more is kept secret. */
  guessed: string[];
}

type Path = (string | number)[];

const pathText = (key: string, p: Path) =>
  key + p.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("");

/** Paths of the values written `secure: ...` under a stack file's config entry. */
function securePaths(node: unknown, at: Path = []): Path[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => securePaths(n, [...at, i]));
  if (node === null || typeof node !== "object") return [];
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === "secure") return [at];
  return keys.flatMap((k) => securePaths((node as Record<string, unknown>)[k], [...at, k]));
}

/** Every scalar under a value, with its path. */
function leaves(node: unknown, at: Path = []): [Path, unknown][] {
  if (Array.isArray(node)) return node.flatMap((n, i) => leaves(n, [...at, i]));
  if (node !== null && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) => leaves(v, [...at, k]));
  }
  return [[at, node]];
}

const valueAt = (node: unknown, p: Path): unknown =>
  p.reduce<unknown>(
    (n, s) =>
      n !== null && typeof n === "object" && Object.hasOwn(n, s)
        ? (n as Record<string | number, unknown>)[s]
        : undefined,
    node,
  );

/**
 * The secret values of a stack's config. `config` is the program's config
 * (key -> JSON or plain text, as Pulumi hands it over), `secretKeys` the keys
 * Pulumi marks secret, `stackFile` the stack file's text (undefined when there
 * is none to read). Pure, for the tests.
 */
export function configSecrets(
  config: Record<string, string>,
  secretKeys: readonly string[],
  stackFile: string | undefined,
  project: string,
): ConfigSecrets {
  let entries: Record<string, unknown> = {};
  try {
    const doc = stackFile === undefined ? undefined : (parseYaml(stackFile) as unknown);
    const c = (doc as { config?: unknown } | undefined)?.config;
    if (c !== null && typeof c === "object") entries = c as Record<string, unknown>;
  } catch {
    // Unreadable YAML: Pulumi would not have run with it; treat as not there.
  }
  const values = new Set<string>();
  const issues: string[] = [];
  const guessed: string[] = [];
  for (const key of secretKeys) {
    if (!(key in config)) continue;
    let value: unknown;
    try {
      value = JSON.parse(config[key]);
    } catch {
      value = config[key];
    }
    // A key of the project's own namespace may be written without it.
    const bare = key.startsWith(`${project}:`) ? key.slice(project.length + 1) : undefined;
    const entry = Object.hasOwn(entries, key)
      ? entries[key]
      : bare !== undefined && Object.hasOwn(entries, bare)
        ? entries[bare]
        : undefined;
    const paths = securePaths(entry);
    if (paths.length === 0) {
      // Not in the stack file as we read it: every text under the key is secret.
      guessed.push(key);
      for (const [, v] of leaves(value)) {
        if (typeof v === "string" && v.length >= minSecretLength) values.add(v);
      }
      continue;
    }
    for (const p of paths) {
      const v = valueAt(value, p);
      const at = pathText(key, p);
      if (v !== null && typeof v === "object") {
        // A whole list or map set as one secret: its every text is.
        guessed.push(at);
        for (const [, x] of leaves(v)) {
          if (typeof x === "string" && x.length >= minSecretLength) values.add(x);
        }
      } else if (typeof v !== "string") {
        issues.push(
          `  ${at}: set as a secret, but it is ${v === null ? "null" : typeof v}, not text: ` +
            "only text can be kept out of outputs; set it without --secret",
        );
      } else if (v.length < minSecretLength) {
        issues.push(
          `  ${at}: set as a secret, but shorter than ${minSecretLength} characters: ` +
            "hiding it would hide the same characters everywhere in outputs; set it without --secret",
        );
      } else {
        values.add(v);
      }
    }
  }
  return { values: [...values].sort((a, b) => b.length - a.length), issues, guessed };
}

/** Replaces each secret in text, in a value's every string and key, or tells whether there is one. */
export function redactor(values: readonly string[]) {
  // Each as given and as it reads inside JSON text (a quote or backslash escaped).
  const forms = values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
  const sorted = [...new Set(forms)].sort((a, b) => b.length - a.length);
  const text = (s: string) =>
    sorted.reduce((t, v) => (t.includes(v) ? t.split(v).join(secretMark) : t), s);
  const deep = <T>(v: T): T => {
    if (sorted.length === 0) return v;
    if (typeof v === "string") return text(v) as T;
    if (Array.isArray(v)) return v.map(deep) as T;
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        Object.defineProperty(out, text(k), { value: deep(x), enumerable: true, writable: true });
      }
      return out as T;
    }
    return v;
  };
  const found = (v: unknown): boolean => {
    if (sorted.length === 0) return false;
    if (typeof v === "string") return sorted.some((s) => v.includes(s));
    if (Array.isArray(v)) return v.some(found);
    if (v !== null && typeof v === "object") {
      return Object.entries(v).some(([k, x]) => found(k) || found(x));
    }
    return false;
  };
  return { text, deep, found };
}

let current: string[] = [];

/** The stack's secret config values, for every step to keep out of its output. */
export const secretValues = (): readonly string[] => current;

/**
 * Keeps these values secret in every resource the program creates from now
 * on: an input that holds one is made a Pulumi secret (stored encrypted,
 * shown as [secret] in diffs); a resource name cannot hold one.
 */
export function keepSecret(values: readonly string[]): void {
  current = [...values];
  if (current.length === 0) return;
  const r = redactor(current);
  pulumi.runtime.registerStackTransformation((args) => {
    if (!(args.resource instanceof pulumi.CustomResource)) return undefined;
    if (r.found(args.name)) {
      throw new Error(
        `${r.text(args.name)}: a value set as a secret is part of this resource's name, ` +
          "and names are never secret: set that value without --secret",
      );
    }
    const props: Record<string, unknown> = { ...args.props };
    for (const [k, v] of Object.entries(props)) {
      // The dynamic provider's stub is code, not config.
      if (k === "__provider" || v === undefined) continue;
      props[k] = pulumi.output(v).apply((x) => (r.found(x) ? pulumi.secret(x) : x));
    }
    return { props, opts: args.opts };
  });
}
