import * as pulumi from "@pulumi/pulumi";

export interface ArchiveArgs {
  /** The project directory; the run goes to <root>/results/<stack>/<runId>/. */
  root: pulumi.Input<string>;
  stack: pulumi.Input<string>;
  /** e.g. 2026-11-21T22-40-03Z-1a2b3c4d: when the newest run started, and the content's digest. */
  runId: pulumi.Input<string>;
  /** Relative path -> text (results.json, comparison.json, raw/<target>/<benchmark>.txt, ...). */
  files: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require("path") as typeof import("path");
    const dir = path.join(inputs.root, "results", inputs.stack, inputs.runId);
    for (const [rel, text] of Object.entries(inputs.files as Record<string, string>)) {
      const file = path.resolve(dir, rel);
      if (!file.startsWith(dir + path.sep)) throw new Error(`archive: ${rel} is outside ${dir}`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
    return { id: dir, outs: { dir, runId: inputs.runId, stack: inputs.stack, root: inputs.root, files: inputs.files } };
  },
  async diff(_id, olds, news) {
    const changed = olds.runId !== news.runId || olds.root !== news.root || olds.stack !== news.stack;
    return { changes: changed, replaces: changed ? ["runId"] : [], deleteBeforeReplace: false };
  },
  async delete() {
    // Results outlive the testbed: `pulumi destroy` leaves the folder in place.
  },
};

/**
 * A run's results and raw outputs written to results/<stack>/<runId>/ in the
 * project. A new run makes a new folder; no folder is ever deleted by Pulumi.
 */
export class ResultsArchive extends pulumi.dynamic.Resource {
  declare public readonly dir: pulumi.Output<string>;
  constructor(name: string, args: ArchiveArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, dir: undefined }, { ...opts, retainOnDelete: true }, "testbed", "ResultsArchive");
  }
}
