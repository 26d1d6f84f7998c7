// The archive writer (components/results/archive.ts, files.ts) under Pulumi
// mocks: the files and run id it hands ResultsArchive are, byte for byte, what
// index.ts wrote before the writer moved, and the report reads them back with
// the same schema.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { Metric } from "../../../benchmarks/types";
import {
  aggregateConcurrent,
  assemble,
  compareToBaseline,
  ConcurrentGroup,
} from "../../../components/results/summarize";
import type { Measured } from "../../../components/measure/run";
import type { Trial } from "../../../components/measure/trials";
import { archiveRun, measure, MeasuredServer } from "../../../components/results/archive";
import {
  archiveFiles,
  newestStart,
  rawFiles,
  resultsDocument,
  runId,
} from "../../../components/results/files";
import { resultsFileSchema } from "../../../components/results/schema";
import { redactor } from "../../../components/secrets";
import { reportBlocks } from "../../../report/document";
import { readRun } from "../../../report/load";
import { renderMarkdown } from "../../../report/markdown";
import { scratchDir } from "../../helpers/scratch";

const created: { type: string; inputs: Record<string, unknown> }[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "virt-testbed",
    "unit",
    false,
  );
});

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

const SECRET = "hunter2-secret";
const hidden = redactor([SECRET]).deep;

const rate = (value: number): Metric => ({
  name: "rate",
  value,
  unit: "ops/s",
  direction: "higher",
  labels: {},
});
const trial = (index: number, v: number, raw = `rate ${v}\n`): Trial => ({
  index,
  exitCode: 0,
  seconds: 1.5,
  raw,
  result: { benchmark: "b", toolVersion: "1.0", metrics: [rate(v)] },
});

const targets = {
  host: { server: "s", platform: "baseline", guest: "host" },
  vm0: { server: "s", platform: "kvm", guest: "vm-0" },
  vm1: { server: "s", platform: "kvm", guest: "vm-1" },
};
const trialsOf = {
  host: [trial(1, 100), trial(2, 102), trial(3, 98)],
  // A secret in a trial's output (a password the tool echoed) is shown as [secret].
  vm0: [trial(1, 40, `rate 40 ${SECRET}\n`), trial(2, 41), trial(3, 39)],
  vm1: [trial(1, 30), trial(2, 31), { ...trial(3, 0), result: undefined, error: "boom" }],
};
const started = {
  host: "2026-11-21T22:40:03.123Z",
  vm0: "2026-11-21T22:45:10.000Z",
  vm1: "2026-11-21T22:45:10.000Z",
};
const concurrent: ConcurrentGroup[] = [
  { server: "s", platform: "kvm", benchmark: "b", guests: ["vm-0", "vm-1"] },
];
const config = { servers: [{ name: "s", note: `key ${SECRET}` }], benchmarks: [{ id: "b" }] };
const description = { profile: "piii-800-testbed", facts: { hostname: "s" } };

function server(): MeasuredServer {
  const keys = ["host", "vm0", "vm1"] as const;
  return {
    name: "s",
    srv: new pulumi.ComponentResource("test:index:Server", "s"),
    targets: keys.map((k) => ({ ...targets[k], info: pulumi.output({ of: k }) })),
    runs: keys.map((k) => ({
      target: targets[k],
      benchmark: "b",
      run: {
        trials: pulumi.output(trialsOf[k]),
        startedAt: pulumi.output(started[k]),
        params: { size: 1, secret: SECRET },
        command: undefined as never,
        // A pair's client elsewhere than on the target's host.
        ...(k === "vm0" ? { client: "s/baseline/host" } : {}),
      } satisfies Measured,
    })),
    concurrent,
  };
}

/** What index.ts's archiveRun wrote before it moved to components/results, written out as it was. */
function filesBefore(servers: number) {
  const records = (["host", "vm0", "vm1"] as const).map((k) => ({
    ...targets[k],
    benchmark: "b",
    ...(k === "vm0" ? { client: "s/baseline/host" } : {}),
    trials: trialsOf[k],
  }));
  const r = assemble(records);
  const raw = Object.fromEntries(
    (["host", "vm0", "vm1"] as const).flatMap((k) => {
      const dir = `raw/${targets[k].server}/${targets[k].platform}/${targets[k].guest}/b`;
      return [
        ...trialsOf[k].map((t) => [`${dir}/trial-${t.index}.txt`, t.raw] as const),
        [`${dir}/parameters.json`, JSON.stringify({ size: 1, secret: SECRET }, null, 2) + "\n"],
      ];
    }),
  );
  const files: Record<string, string> = {
    "results.json":
      JSON.stringify(
        hidden({
          stack: "unit",
          server: "s",
          config,
          testbed: { s: description },
          targets: {
            "s/baseline/host": { of: "host" },
            "s/kvm/vm-0": { of: "vm0" },
            "s/kvm/vm-1": { of: "vm1" },
          },
          results: r,
          comparison: compareToBaseline(r),
          aggregates: aggregateConcurrent(r, concurrent),
        }),
        null,
        2,
      ) + "\n",
    ...hidden(raw),
  };
  const digest = crypto
    .createHash("sha256")
    .update(JSON.stringify(files))
    .digest("hex")
    .slice(0, 8);
  const who = servers > 1 ? "-s" : "";
  return { files, runId: `2026-11-21T22-45-10-000Z${who}-${digest}` };
}

async function archived(servers: number) {
  created.length = 0;
  const s = server();
  const m = measure(s);
  const dir = archiveRun(s, m, pulumi.output(description), {
    root: "/project",
    stack: "unit",
    config,
    hidden,
    servers,
  });
  expect(dir).toBeDefined();
  await value(dir!);
  const archive = created.find((c) => c.inputs.runId !== undefined)!;
  return archive.inputs as {
    root: string;
    stack: string;
    runId: string;
    files: Record<string, string>;
  };
}

describe("archiveRun", () => {
  it("hands ResultsArchive the files and run id index.ts wrote, byte for byte", async () => {
    const a = await archived(1);
    const before = filesBefore(1);
    // (The engine hands a resource its inputs' keys sorted; the run id is the digest of the files as made.)
    expect(Object.keys(a.files).sort()).toEqual(Object.keys(before.files).sort());
    for (const f of Object.keys(before.files)) expect(a.files[f]).toBe(before.files[f]);
    expect(a.runId).toBe(before.runId);
    // Pinned: a change to the layout, the order of keys or the digest shows here.
    expect(a.runId).toBe("2026-11-21T22-45-10-000Z-1f08c339");
    expect(a).toMatchObject({ root: "/project", stack: "unit" });
  });

  it("names the server in the run id when the stack has several", async () => {
    const a = await archived(2);
    expect(a.runId).toBe(filesBefore(2).runId);
    expect(a.runId).toMatch(/^2026-11-21T22-45-10-000Z-s-[0-9a-f]{8}$/);
  });

  it("shows [secret] in results.json, the raw outputs and the parameters", async () => {
    const a = await archived(1);
    expect(JSON.stringify(a.files)).not.toContain(SECRET);
    expect(a.files["raw/s/kvm/vm-0/b/trial-1.txt"]).toBe("rate 40 [secret]\n");
    expect(JSON.parse(a.files["raw/s/kvm/vm-0/b/parameters.json"]).secret).toBe("[secret]");
    expect(JSON.parse(a.files["results.json"]).config.servers[0].note).toBe("key [secret]");
  });

  it("keeps what a trial wrote on stderr beside its output, secrets hidden; nothing when it wrote none", () => {
    const files = archiveFiles(
      resultsDocument({} as never),
      rawFiles([
        {
          target: targets.host,
          benchmark: "b",
          params: {},
          trials: [
            { index: 1, raw: "rate 1\n", stderr: `retried: connection reset ${SECRET}\n` },
            { index: 2, raw: "rate 2\n" },
          ],
        },
      ]),
      hidden,
    );
    expect(
      Object.keys(files)
        .filter((f) => f.startsWith("raw/"))
        .sort(),
    ).toEqual([
      "raw/s/baseline/host/b/parameters.json",
      "raw/s/baseline/host/b/trial-1.stderr.txt",
      "raw/s/baseline/host/b/trial-1.txt",
      "raw/s/baseline/host/b/trial-2.txt",
    ]);
    expect(files["raw/s/baseline/host/b/trial-1.stderr.txt"]).toBe(
      "retried: connection reset [secret]\n",
    );
  });

  it("archives nothing for a server that ran no benchmark", () => {
    const s = { ...server(), runs: [] };
    expect(
      archiveRun(s, measure(s), pulumi.output(description), {
        root: "/project",
        stack: "unit",
        config,
        hidden,
        servers: 1,
      }),
    ).toBeUndefined();
  });
});

describe("the archive's files", () => {
  it("writes results.json's keys in the order the program always has, whatever order they come in", () => {
    const doc = JSON.parse(filesBefore(1).files["results.json"]);
    const shuffled = Object.fromEntries(Object.entries(doc).reverse()) as typeof doc;
    expect(Object.keys(resultsDocument(shuffled))).toEqual([
      "stack",
      "server",
      "config",
      "testbed",
      "targets",
      "results",
      "comparison",
      "aggregates",
    ]);
    expect(archiveFiles(shuffled, {}, hidden)["results.json"]).toBe(
      JSON.stringify(doc, null, 2) + "\n",
    );
  });

  it("lays raw outputs out per target and benchmark, parameters beside the trials", () => {
    expect(
      rawFiles([
        { target: targets.vm0, benchmark: "b", params: { n: 1 }, trials: [{ index: 2, raw: "x" }] },
      ]),
    ).toEqual({
      "raw/s/kvm/vm-0/b/trial-2.txt": "x",
      "raw/s/kvm/vm-0/b/parameters.json": '{\n  "n": 1\n}\n',
    });
  });

  it("names the folder for the newest run's start and the files' digest", () => {
    expect(
      newestStart(["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-01T00:00:00Z"]),
    ).toBe("2026-01-03T00:00:00Z");
    expect(newestStart([])).toBe("");
    expect(runId({ "results.json": "{}\n" }, "2026-11-21T22:40:03.5Z")).toBe(
      `2026-11-21T22-40-03-5Z-${crypto.createHash("sha256").update('{"results.json":"{}\\n"}').digest("hex").slice(0, 8)}`,
    );
    expect(runId({}, "t", "srv")).toMatch(/^t-srv-[0-9a-f]{8}$/);
  });

  it("is read back by the report with the same schema, nothing lost", async () => {
    const a = await archived(1);
    const dir = path.join(scratchDir("vtb-archive-"), a.runId);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "results.json"), a.files["results.json"]);
    const written = JSON.parse(a.files["results.json"]);
    expect(resultsFileSchema.parse(written)).toEqual(written);
    const run = readRun(dir);
    expect(run).toMatchObject({
      runId: a.runId,
      stack: "unit",
      results: written.results,
      comparison: written.comparison,
      aggregates: written.aggregates,
      targets: written.targets,
      testbed: written.testbed,
      config: written.config,
    });
    expect(run.aggregates!.s.kvm.b.rate.vsBaseline).toBeDefined();
    expect(run.results.s.kvm["vm-1"].b.message).toMatch(/2 of 3 asked gave a result; 1 gave none/);
    expect(run.results.s.kvm["vm-0"].b.client).toBe("s/baseline/host");
    expect(renderMarkdown(reportBlocks(run, []))).toContain("kvm/vm-0 from s/baseline/host: ok");
  });
});
