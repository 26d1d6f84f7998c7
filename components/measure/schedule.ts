import * as pulumi from "@pulumi/pulumi";
import { benchmarks, pairs } from "../../benchmarks";
import { BenchmarkConfig } from "../config";
import { guestObjectName } from "../guests/naming";
import { PhysicalServer } from "../server";
import { ConcurrentRun } from "./group";
import { ConcurrentGroup } from "../results/summarize";
import { BenchmarkRun, Measured } from "./run";
import { Target, targetKey } from "./target";
import { wayInto } from "./way-in";

/*
 * When each benchmark runs: one run at a time on each server, in config order,
 * after every target there is up; different servers measure in parallel. A
 * concurrent benchmark starts all guests of a platform together instead; a
 * pair across two servers holds both.
 *
 * A server's runs of a benchmark (one per target) are made once its runs of the
 * benchmark before are registered (at `up`: have run), not all at the start. A
 * resource waiting on its dependencies holds the SDK's promises for each of its
 * outputs, about 160 KB, and runs are three fifths of a server's resources:
 * made at once, 64 servers' runs held 1.2 GiB of the program's heap (npm run
 * bench:scale). They wait for each other anyway, so nothing runs later for it.
 */

/** A physical server as the scheduler sees it: its targets, and the runs made on it so far. */
export interface ServerRuns {
  name: string;
  srv: PhysicalServer;
  /** Where the server's benchmarks run: bare metal (if configured) and its guests. */
  targets: Target[];
  /** The server's own host: a pair's client or server, also when bare metal is not measured. */
  host?: Target;
  /** Everything on the server that must be up before its first run. */
  allReady: pulumi.Resource[];
  /** The runs so far on this server; the next one starts after them. */
  previous: pulumi.Resource[];
  /** Settles once the runs made so far are registered: the next run is made then. */
  made: Promise<void>;
  runs: { target: Target; benchmark: string; run: Measured }[];
  concurrent: ConcurrentGroup[];
}

/** Makes every configured benchmark's runs on the servers, in turn. */
export function scheduleRuns(
  servers: readonly ServerRuns[],
  list: readonly BenchmarkConfig[],
  stack: string,
): void {
  for (const b of list) {
    if (b.pairs) b.pairs.forEach((p) => pairRun(servers, stack, b, p));
    else servers.forEach((s) => (s.made = afterMade([s], () => serverRuns(s, b))));
  }
}

/** Runs `make` once the servers' runs so far are registered; settles when what it made is. */
function afterMade(sides: ServerRuns[], make: () => void): Promise<void> {
  return Promise.all(sides.map((s) => s.made))
    .then(make)
    .then(() => Promise.all(sides.flatMap((s) => s.previous.map(registered))))
    .then(() => undefined);
}

/** Settles when the resource is registered (its URN known); rejects when that fails. */
function registered(r: pulumi.Resource): Promise<string> {
  // `promise()` is the SDK's own, left out of its typings: `apply` would never
  // call back for a registration that failed, and the program would hang.
  return (r.urn as unknown as { promise(): Promise<string> }).promise();
}

/** `b` on each of the server's targets: the server's own host runs a pair's client. */
function serverRuns(s: ServerRuns, b: BenchmarkConfig) {
  const groups: Target[][] = [];
  for (const t of s.targets) {
    if (b.platforms && !b.platforms.includes(t.platform as (typeof b.platforms)[number])) continue;
    if (pairs[b.id] && !t.peer) {
      pulumi.log.warn(
        `${targetKey(t)}: ${b.id} needs a server inside the target, which this kind of target cannot have yet; skipped`,
      );
      continue;
    }
    const last = groups[groups.length - 1];
    if (b.concurrent && t.platform !== "baseline" && last?.[0].platform === t.platform) {
      last.push(t);
    } else {
      groups.push([t]);
    }
  }
  const ready = (t: Target) => (s.previous.length > 0 ? t.ready : s.allReady);
  for (const group of groups) {
    // A concurrent group starts as one step from the server, so it also reruns as one.
    if (group.length > 1 && !pairs[b.id] && group.every((t) => wayInto(t))) {
      const first = group[0];
      const together = new ConcurrentRun(
        `${first.server}-${first.platform}-${b.id}`,
        {
          targets: group.map((t) => ({ ...t, ready: ready(t) })),
          module: benchmarks[b.id],
          params: b.params,
          repeats: b.repeats,
          trialTimeoutSeconds: b.trialTimeoutMinutes * 60,
          after: s.previous,
          serverConnection: s.srv.connection,
        },
        { parent: s.srv },
      );
      group.forEach((t, i) =>
        s.runs.push({ target: t, benchmark: b.id, run: together.members[i] }),
      );
      s.previous = [together.command];
      s.concurrent.push({
        server: s.name,
        platform: first.platform,
        benchmark: b.id,
        guests: group.map((t) => t.guest),
      });
      continue;
    }
    if (group.length > 1) {
      pulumi.log.warn(
        `${s.name}/${group[0].platform}: ${b.id} cannot start its guests as one step ` +
          `(${pairs[b.id] ? "it pairs each guest with the host" : "the server cannot enter them"}); ` +
          "they start together but a guest that fails reruns alone",
      );
    }
    const started = group.map((t) => {
      const run = new BenchmarkRun(
        `${t.server}-${t.platform}-${t.guest}-${b.id}`,
        {
          target: { ...t, ready: ready(t) },
          module: benchmarks[b.id],
          params: b.params,
          repeats: b.repeats,
          trialTimeoutSeconds: b.trialTimeoutMinutes * 60,
          after: s.previous,
          pair: pairs[b.id],
          serverConnection: s.srv.connection,
        },
        { parent: s.srv },
      );
      s.runs.push({ target: t, benchmark: b.id, run });
      return run.command;
    });
    s.previous = started;
    if (group.length > 1) {
      s.concurrent.push({
        server: s.name,
        platform: group[0].platform,
        benchmark: b.id,
        guests: group.map((t) => t.guest),
      });
    }
  }
}

/**
 * `b` between two named targets (`pairs`): its server in one, its client in the
 * other, started from the client's physical server. Runs on both servers wait
 * for it and it for them, so neither measures anything else meanwhile.
 */
function pairRun(
  servers: readonly ServerRuns[],
  stack: string,
  b: BenchmarkConfig,
  p: { server: string; client: string },
) {
  const sides = pairSides(servers, stack, b, p);
  const made = afterMade(sides.servers, () => pairRunNow(b, sides));
  for (const s of sides.servers) s.made = made;
}

function pairSides(
  servers: readonly ServerRuns[],
  stack: string,
  b: BenchmarkConfig,
  p: { server: string; client: string },
) {
  // Config names a guest as configured (vm, vm-0); its objects are named for the stack.
  const find = (key: string) => {
    const [server, platform, guest] = key.split("/");
    const objectKey = `${server}/${platform}/${guestObjectName(stack, guest, 0, 1)}`;
    for (const s of servers) {
      const t = [...s.targets, ...(s.host ? [s.host] : [])].find(
        (t) => targetKey(t) === key || targetKey(t) === objectKey,
      );
      if (t) return { s, t };
    }
    throw new Error(`${b.id}: no target ${key}`); // config validation names it first
  };
  const { s: a, t: target } = find(p.server);
  const { s: c, t: client } = find(p.client);
  return { a, target, c, client, servers: a === c ? [a] : [a, c] };
}

function pairRunNow(b: BenchmarkConfig, p: ReturnType<typeof pairSides>) {
  const { a, target, c, client, servers: sides } = p;
  const run = new BenchmarkRun(
    `${target.server}-${target.platform}-${target.guest}-${b.id}`,
    {
      target,
      client,
      module: benchmarks[b.id],
      params: b.params,
      repeats: b.repeats,
      trialTimeoutSeconds: b.trialTimeoutMinutes * 60,
      after: sides.flatMap((s) => (s.previous.length > 0 ? s.previous : s.allReady)),
      pair: pairs[b.id],
      serverConnection: c.srv.connection,
    },
    { parent: a.srv },
  );
  a.runs.push({ target, benchmark: b.id, run });
  for (const s of sides) s.previous = [run.command];
}
