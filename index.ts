import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { benchmarks, pairs } from "./benchmarks";
import { loadTestbedConfig } from "./components/config";
import { createGuests, GuestImage, GuestKey, guestInfos, imagePackages } from "./components/guests";
import { assemble, compareToBaseline, RunRecord } from "./components/measure/results";
import { BenchmarkRun } from "./components/measure/run";
import { Target, targetKey } from "./components/measure/target";
import { createPlatform } from "./components/platforms";
import { ResultsArchive } from "./components/results/archive";
import { packageList, script } from "./components/scripts";
import { PhysicalServer } from "./components/server";

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
const stack = pulumi.getStack();

// Guests carry the configured benchmarks' tools (containers have no uplink to install them).
const benchmarkPackages = [...new Set(config.benchmarks.flatMap((b) => benchmarks[b.id].packages))];

// One SSH key pair for the stack's VM guests, made on first use.
let guestKey: GuestKey | undefined;
const key = () => (guestKey ??= new GuestKey("guest-key"));

const servers = config.servers.map((server) => {
  const srv = new PhysicalServer(server.name, {
    server,
    sshPrivateKey: config.sshKeys.apply((k) => k[server.name]),
    defaultProbeKernel: process.env.VTB_GUEST_KERNEL,
  });
  // A server has platforms; a platform has guests. The image is built once per server.
  let image: GuestImage | undefined;
  let port = server.guestSshPortBase;
  let ordinal = 0;
  const platforms = server.platforms.map((p) => {
    const platform = createPlatform(
      `${server.name}-${p.type}`,
      { server: srv, config: p },
      { parent: srv },
    );
    const guests = createGuests({
      server: srv,
      platform,
      config: p,
      stack,
      image: () =>
        (image ??= new GuestImage(
          `${server.name}-image`,
          { server: srv, packages: [...new Set([...imagePackages, ...benchmarkPackages])] },
          { parent: srv },
        )),
      key,
      nextSshPort: () => port++,
      nextOrdinal: () => ordinal++,
      sshKeys: config.sshKeys,
    });
    return {
      type: p.type,
      info: platform.info,
      guests: guestInfos(guests),
      targets: guests.map((g) => g.target),
    };
  });

  // Bare metal is measured with the tools installed on the server itself (and removed on destroy).
  const targets: Target[] = [];
  if (server.platforms.some((p) => p.type === "baseline") && config.benchmarks.length > 0) {
    const tools = srv.command(
      `${server.name}-benchmark-tools`,
      {
        step: `server ${server.name}: install benchmark tools`,
        create: script(`${__dirname}/components/platforms`, "packages-install.sh"),
        delete: script(`${__dirname}/components/platforms`, "packages-remove.sh"),
        environment: {
          PACKAGES: packageList([
            ...new Set(config.benchmarks.flatMap((b) => benchmarks[b.id].packages)),
          ]),
        },
        timeoutSeconds: 1800,
      },
      { parent: srv },
    );
    targets.push({
      server: server.name,
      platform: "baseline",
      guest: "host",
      connection: srv.connection,
      ready: [tools],
      info: srv.facts,
      peer: { via: "host", bind: "127.0.0.1", connect: (port) => ({ host: "127.0.0.1", port }) },
    });
  }
  targets.push(...platforms.flatMap((p) => p.targets));

  // One run at a time on this server, in config order, after every target is up
  // (a guest booting would disturb a measurement); other servers run in parallel.
  const runs: { target: Target; benchmark: string; run: BenchmarkRun }[] = [];
  let previous: pulumi.Resource | undefined;
  const allReady = targets.flatMap((t) => t.ready);
  for (const b of config.benchmarks) {
    for (const t of targets) {
      if (b.platforms && !b.platforms.includes(t.platform as (typeof b.platforms)[number]))
        continue;
      if (pairs[b.id] && !t.peer) {
        pulumi.log.warn(
          `${targetKey(t)}: ${b.id} needs a server inside the target, which this kind of target cannot have yet; skipped`,
        );
        continue;
      }
      const run = new BenchmarkRun(
        `${t.server}-${t.platform}-${t.guest}-${b.id}`,
        {
          target: { ...t, ready: previous ? t.ready : allReady },
          module: benchmarks[b.id],
          params: b.params,
          repeats: b.repeats,
          trialTimeoutSeconds: b.trialTimeoutMinutes * 60,
          after: previous,
          pair: pairs[b.id],
          serverConnection: srv.connection,
        },
        { parent: srv },
      );
      previous = run.command;
      runs.push({ target: t, benchmark: b.id, run });
    }
  }
  return { name: server.name, srv, platforms, targets, runs };
});

export const testbed = pulumi.output(
  Object.fromEntries(
    servers.map(({ name, srv, platforms }) => [
      name,
      {
        profile: srv.config.profile,
        profileCheck: srv.profileCheck,
        facts: srv.facts,
        accel: srv.accel,
        platforms: Object.fromEntries(
          platforms.map((p) => [p.type, { info: p.info, guests: p.guests }]),
        ),
      },
    ]),
  ),
);

// Results: every trial parsed, summarized per metric, compared with the same
// server's bare metal, and archived in results/<stack>/<run id>/ (kept by destroy).
const allRuns = servers.flatMap((s) => s.runs);
const records = pulumi.all(
  allRuns.map(({ target, benchmark, run }) =>
    run.trials.apply((trials): RunRecord => ({
      server: target.server,
      platform: target.platform,
      guest: target.guest,
      benchmark,
      trials,
    })),
  ),
);
export const results = records.apply(assemble);
export const comparison = results.apply(compareToBaseline);

const targetInfos = pulumi.all(
  Object.fromEntries(servers.flatMap((s) => s.targets.map((t) => [targetKey(t), t.info]))),
);
// Each trial's output exactly as the tool printed it, so `npm run parse` reads it back.
const rawOutputs = pulumi
  .all(
    allRuns.map(({ target, benchmark, run }) =>
      run.trials.apply((trials) => [
        ...trials.map(
          (t) => [`raw/${targetKey(target)}/${benchmark}/trial-${t.index}.txt`, t.raw] as const,
        ),
        // The parameters the trials ran with: `npm run parse` reads them from beside the trials.
        [
          `raw/${targetKey(target)}/${benchmark}/parameters.json`,
          JSON.stringify(run.params, null, 2) + "\n",
        ] as const,
      ]),
    ),
  )
  .apply((lists) => Object.fromEntries(lists.flat()));
const newest = pulumi
  .all(allRuns.map((r) => r.run.startedAt))
  .apply((ts) => [...ts].sort().pop() ?? "");

const files = pulumi
  .all([results, comparison, targetInfos, rawOutputs])
  .apply(([r, c, infos, raw]): Record<string, string> => ({
    "results.json":
      JSON.stringify({ stack, results: r, comparison: c, targets: infos }, null, 2) + "\n",
    ...raw,
  }));
const runId = pulumi.all([files, newest]).apply(([f, started]) => {
  const digest = crypto.createHash("sha256").update(JSON.stringify(f)).digest("hex").slice(0, 8);
  return `${started.replace(/[:.]/g, "-")}-${digest}`;
});
export const archive =
  allRuns.length === 0
    ? undefined
    : new ResultsArchive("results-archive", { root: __dirname, stack, runId, files }).dir;
