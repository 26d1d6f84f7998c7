import { distance } from "fastest-levenshtein";
import { z } from "zod";

/*
 * "Did you mean": the keys a config object may have, read from the JSON
 * Schema zod makes of the config's own schema (so they cannot drift from it),
 * and the nearest of them to a key that is not one.
 */

export type JsonSchema = { [k: string]: unknown };

/** The JSON Schema of what a user writes (defaults optional), as editors read it. */
export const jsonSchemaOf = (s: z.ZodType): JsonSchema =>
  z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema;

const isObj = (v: unknown): v is JsonSchema =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The schemas a value at `path` may be checked against (every branch of anyOf /
 * oneOf / allOf), following `value` where it is known: a branch for another
 * `type` (an lxc platform's, when the value is a kvm one) is not its.
 */
function at(
  schema: JsonSchema,
  path: readonly PropertyKey[],
  root: JsonSchema,
  value: unknown,
  depth = 0,
): JsonSchema[] {
  if (depth > 64) return [];
  const kind = isObj(value) ? value.type : undefined;
  const props = isObj(schema.properties) ? schema.properties : {};
  const own = isObj(props.type) ? props.type.const : undefined;
  if (typeof kind === "string" && own !== undefined && own !== kind) return [];
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/")) {
    const target = ref
      .slice(2)
      .split("/")
      .reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), root);
    return isObj(target) ? at(target, path, root, value, depth + 1) : [];
  }
  const branches = ["anyOf", "oneOf", "allOf"].flatMap((k) =>
    Array.isArray(schema[k]) ? (schema[k] as unknown[]).filter(isObj) : [],
  );
  const here = branches.flatMap((b) => at(b, path, root, value, depth + 1));
  if (path.length === 0) return [schema, ...here];
  const [p, ...rest] = path;
  const next: JsonSchema[] = [];
  if (typeof p === "number" && isObj(schema.items)) next.push(schema.items);
  if (typeof p === "string" && isObj(props[p])) {
    next.push(props[p] as JsonSchema);
  } else if (typeof p === "string" && isObj(schema.additionalProperties)) {
    next.push(schema.additionalProperties);
  }
  const inner =
    typeof value === "object" && value !== null
      ? (value as Record<PropertyKey, unknown>)[p]
      : undefined;
  return [...here, ...next.flatMap((n) => at(n, rest, root, inner, depth + 1))];
}

/** The keys the object at `path` (in `value`, the whole value checked, when known) may have. */
export function keysAt(
  schema: JsonSchema,
  path: readonly PropertyKey[],
  value?: unknown,
): string[] {
  const keys = at(schema, path, schema, value).flatMap((s) =>
    isObj(s.properties) ? Object.keys(s.properties) : [],
  );
  return [...new Set(keys)];
}

/** The known key nearest to `key`, when it is near enough to be a slip (repeat -> repeats). */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    // The key itself is known elsewhere (host is an ssh connection's, not an emulated one's): no slip to point at.
    if (k === key) continue;
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3))
    ? best
    : undefined;
}
