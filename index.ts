import * as pulumi from "@pulumi/pulumi";
import { loadTestbedConfig } from "./components/config";
import { scheduleRuns } from "./components/measure/schedule";
import { skipPromiseDebugStacks } from "./components/promise-stacks";
import { skipSdkDebugLogs } from "./components/sdk-debug-logs";
import { archiveRun, measure } from "./components/results/archive";
import { standUpServers } from "./components/testbed";
import { keepSecret, redactor } from "./components/secrets";

// The SDK's per-promise debug traces cost half the program's time at scale;
// they are left unformatted unless PULUMI_DEBUG_PROMISE_LEAKS is set.
skipPromiseDebugStacks();
// Nor does it send the engine its debug lines, a few gRPC calls per resource,
// unless VTB_SDK_DEBUG_LOGS is set.
skipSdkDebugLogs();

// Validated before any resource exists: a bad key fails here, naming itself
// (a RunError: the message alone, without a stack trace).
function load() {
  try {
    return loadTestbedConfig();
  } catch (e) {
    throw new pulumi.RunError((e as Error).message);
  }
}
const config = load();
// Before the first resource: every one made from here on keeps them secret.
keepSecret(config.secrets);
/** Outputs and the archive show [secret] where a value set as secret would be. */
const hidden = redactor(config.secrets).deep;
const stack = pulumi.getStack();
const { sshKeys: _secret, secrets: _secrets, ...plainConfig } = config;

const servers = standUpServers(config, stack);
type Server = (typeof servers)[number];

// One run at a time on each server (components/measure/schedule.ts).
scheduleRuns(servers, config.benchmarks, stack);

// Everything below is per server: a server that cannot be reached (its steps
// fail) leaves its own outputs unknown, never the other servers' results.

function describeServer({ srv, platforms }: Server) {
  return pulumi.output({
    profile: srv.config.profile,
    profileCheck: srv.profileCheck,
    // An emulated server's figures are QEMU TCG's, not the profile's hardware.
    ...(srv.emulation ? { emulated: srv.emulation } : {}),
    facts: srv.facts,
    accel: srv.accel,
    platforms: Object.fromEntries(
      platforms.map((p) => [p.type, { info: p.info, guests: p.guests }]),
    ),
  });
}

// Results: every trial parsed, summarized per metric, compared with the same
// server's bare metal, and archived in results/<stack>/<run id>/ (kept by destroy):
// components/results/archive.ts, in the results schema (components/results/schema.ts).

const archiving = {
  root: __dirname,
  stack,
  // The configuration (keys and secrets not part of it) explains a difference between two runs.
  config: plainConfig,
  hidden,
  servers: servers.length,
};

const perServer = servers.map((s) => {
  const description = describeServer(s);
  // Once every run is made (see afterMade).
  const measured = s.made.then(() => {
    const m = measure(s);
    return { ...m, archive: archiveRun(s, m, description, archiving) };
  });
  return { name: s.name, description, measured };
});
const byServer = <T>(pick: (p: (typeof perServer)[number]) => T) =>
  Object.fromEntries(perServer.map((p) => [p.name, pick(p)]));
const measuredOf = <T>(p: (typeof perServer)[number], pick: (m: Measurement) => T) =>
  pulumi.output(p.measured.then(pick)).apply(hidden);
type Measurement = Awaited<(typeof perServer)[number]["measured"]>;

export const testbed = byServer((p) => p.description.apply(hidden));
export const results = byServer((p) =>
  measuredOf(p, (m) => m.results.apply((r) => r[p.name] ?? {})),
);
export const comparison = byServer((p) =>
  measuredOf(p, (m) => m.comparison.apply((c) => c[p.name] ?? {})),
);
export const aggregates = byServer((p) =>
  measuredOf(p, (m) => m.aggregates.apply((a) => a[p.name] ?? {})),
);
/** server -> this run's folder in results/<stack>/. */
export const archive = byServer((p) => measuredOf(p, (m) => m.archive));
