import * as pulumi from "@pulumi/pulumi";
import { benchmarks, pairs } from "../../benchmarks";
import { BenchmarkConfig } from "../config";
import { guestObjectName } from "../guests/naming";
import { PhysicalServer } from "../server";
import { ConcurrentGroup } from "../results/summarize";
import { BenchmarkRun, Measured } from "./run";
import { InterleavedRun, Unit, unitTargets, wayIntoTarget } from "./interleaved";
import { Target, targetKey } from "./target";

/*
 * When each benchmark runs: one run at a time on each server, in config order,
 * after every target there is up; different servers measure in parallel. On a
 * server, a benchmark's targets take turns trial by trial (InterleavedRun,
 * interleaved.ts), the other guests paused; a concurrent benchmark's guests of
 * a platform take their turn together; a pair across two servers holds both.
 * A target the server cannot enter (a VMware guest) runs its trials alone,
 * after the interleaved ones. A server that Xen reboots has its bare metal
 * measured before the reboot, in runs of its own (scheduleBeforeReboot), and
 * its guests after it, without bare metal.
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
  /** Where the server's benchmarks run: bare metal (if configured, and not measured before a reboot) and its guests. */
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
    else servers.forEach((s) => (s.made = afterMade([s], () => serverRuns(s, b, stack))));
  }
}

/**
 * Bare metal's runs before a platform reboots the server into another kernel
 * (Xen): each configured benchmark but those between named targets (they run
 * with the guests), one after another. Returns them: the reboot waits for
 * them (components/testbed.ts). Made at once, not each once the one before is
 * registered as the runs after the reboot are: a handful of resources, and
 * the reboot's dependencies must be known when it is made.
 */
export function scheduleBeforeReboot(
  s: Pick<ServerRuns, "name" | "srv" | "targets" | "host" | "allReady" | "runs">,
  list: readonly BenchmarkConfig[],
  stack: string,
): pulumi.Resource[] {
  // Named apart from the runs after the reboot, which take the server's name.
  const plain: ServerRuns = {
    ...s,
    name: `${s.name}-plain-kernel`,
    previous: [],
    made: Promise.resolve(),
    concurrent: [],
  };
  for (const b of list) if (!b.pairs) serverRuns(plain, b, stack, true);
  return [...new Set(plain.runs.map((r) => r.run.command))];
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

/** `b` on each of the server's targets, interleaved where the server can enter them. */
function serverRuns(s: ServerRuns, b: BenchmarkConfig, stack: string, plainKernel = false) {
  const groups: Target[][] = [];
  for (const t of s.targets) {
    if (b.platforms && !b.platforms.includes(t.platform as (typeof b.platforms)[number])) continue;
    if (pairs[b.id] && !t.peer) {
      pulumi.log.warn(
        `${targetKey(t)}: ${b.id} needs a server inside the target, ${t.noPeer ?? "which this kind of target cannot have yet"}; skipped`,
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
  const ready = (t: Target) => ({ ...t, ready: s.previous.length > 0 ? t.ready : s.allReady });
  const units: Unit[] = [];
  const alone: Target[][] = [];
  for (const group of groups) {
    const enterable = group.every((t) => (pairs[b.id] ? t.peer : wayIntoTarget(t)));
    if (!enterable || (group.length > 1 && pairs[b.id])) alone.push(group);
    else if (group.length > 1) units.push({ kind: "group", targets: group.map(ready) });
    else units.push({ kind: pairs[b.id] ? "pair" : "run", target: ready(group[0]) });
  }
  const pilot = plainKernel ? undefined : pilotRun(s, b, units);
  if (units.length > 0) {
    const run = new InterleavedRun(
      `${s.name}-${b.id}`,
      {
        units,
        module: benchmarks[b.id],
        params: b.params,
        repeats: b.repeats,
        precision: b.precision,
        order: { method: b.order.method, seed: b.order.seed ?? stack },
        trialTimeoutSeconds: b.trialTimeoutMinutes * 60,
        guests: s.targets.filter((t) => t.platform !== "baseline"),
        background: b.background,
        plainKernel,
        pair: pairs[b.id],
        after: pilot ? [pilot] : s.previous,
        serverConnection: s.srv.connection,
        stack,
      },
      { parent: s.srv },
    );
    for (const m of run.members) s.runs.push({ target: m.target, benchmark: b.id, run: m.run });
    for (const u of units.filter((u) => u.kind === "group")) {
      const ts = unitTargets(u);
      s.concurrent.push({
        server: s.name,
        platform: ts[0].platform,
        benchmark: b.id,
        guests: ts.map((t) => t.guest),
      });
    }
    s.previous = [run.command];
  }
  for (const group of alone) aloneRuns(s, b, group.map(ready));
}

/**
 * A pilot is there to show a first figure early, not to hold anything up: it
 * runs when its benchmark says a trial takes at most PILOT_SECONDS, and is cut
 * at PILOT_CUT_SECONDS; with the 10 s a cut trial has to end, that is within
 * the minute any turn of another stack waits for the server (a measure wait is
 * a trial's timeout, at least one minute).
 */
const PILOT_SECONDS = 30;
const PILOT_CUT_SECONDS = 50;

/**
 * A pilot: the server's first benchmark, one trial on bare metal, as soon as
 * bare metal is up, while the other targets are still being set up (a guest
 * booting under TCG takes minutes). It shows a first figure, and a benchmark
 * that fails on this server, within minutes of `up`, not once every guest is
 * up. Never counted: it runs beside the guests' setup. The server's runs wait
 * for it, so it never overlaps one, nor another stack's turn (pilot.sh).
 */
function pilotRun(s: ServerRuns, b: BenchmarkConfig, units: readonly Unit[]) {
  const bare = s.targets.find((t) => t.platform === "baseline");
  const m = benchmarks[b.id];
  // Only before the server's first run, where something else is being set up,
  // for a short trial, and not for a pair (its server would start in the lock
  // pilot.sh holds).
  const taking = units.some((u) => u.kind === "run" && u.target.platform === "baseline");
  const short = (m.trialSeconds?.(b.params) ?? Infinity) <= PILOT_SECONDS;
  if (s.previous.length > 0 || units.length < 2 || !taking || !bare || !short) return undefined;
  const run = new BenchmarkRun(
    // Named as its target's runs are: `npm run logs -- <server>/baseline` shows it.
    `${bare.server}-${bare.platform}-${bare.guest}-${b.id}`,
    {
      target: bare,
      module: m,
      params: b.params,
      repeats: 1,
      trialTimeoutSeconds: Math.min(PILOT_CUT_SECONDS, b.trialTimeoutMinutes * 60),
      pilot: true,
    },
    { parent: s.srv },
  );
  return run.command;
}

/** What a run in a block does with a precision: a fixed count (only interleaved runs adapt). */
const blockRepeats = (b: BenchmarkConfig) =>
  b.precision
    ? `, ${b.repeats} trials (minRepeats: a precision applies to interleaved runs only)`
    : "";

/**
 * Targets the server cannot take turns into (it cannot enter them, or a pair
 * benchmark's concurrent guests): each runs its trials in a block of its own,
 * one after another; said at preview.
 */
function aloneRuns(s: ServerRuns, b: BenchmarkConfig, group: Target[]) {
  pulumi.log.warn(
    `${group.map(targetKey).join(", ")}: ${b.id} cannot take turns with the server's other targets ` +
      `(${pairs[b.id] && group.length > 1 ? "a pair benchmark's guests at once" : "the server cannot enter it"}); ` +
      "its trials run in a block of their own, not interleaved, beside running guests" +
      blockRepeats(b),
  );
  const started = group.map((t) => {
    const run = new BenchmarkRun(
      `${t.server}-${t.platform}-${t.guest}-${b.id}`,
      {
        target: t,
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
  pulumi.log.warn(
    `${targetKey(target)} served to ${targetKey(client)}: ${b.id} between named targets runs in a ` +
      "block of its own, not interleaved, beside running guests" +
      blockRepeats(b),
  );
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
