// npm run logs -- [--stack <name>] [-f] [<server[/platform[/guest]]>]
// The raw output of a stack's benchmark steps, as they print it: each step
// streams to results/<stack>/trials/<step>.<start>.log while it runs
// (components/measure/live.ts). Without -f, the newest step's whole output;
// with -f, it and what follows, step after step, until interrupted.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { streamDir } from "../components/measure/live";

export const usage = "usage: npm run logs -- [--stack <name>] [-f] [<server[/platform[/guest]]>]\n";

export const help = `${usage}
Shows what the stack's benchmark steps print, as they print it (secrets
hidden): the newest step's output, or with -f that and every step after it,
live, as \`pulumi up\` runs them. Ctrl-C stops following; nothing else stops.

  --stack <name>   the stack (default: testbed)
  -f, --follow     keep printing as the steps print, and go on to the next step
  <target>         only steps on this server, server/platform or
                   server/platform/guest, e.g. local/kvm (an interleaved run
                   is the server's: local)

The files are results/<stack>/trials/<server>[-<platform>-<guest>]-<benchmark>.<start>.log.
`;

export class UsageError extends Error {}

export interface LogsOptions {
  stack: string;
  follow: boolean;
  target?: string;
}

export function parseLogsArgs(argv: string[]): LogsOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        follow: { type: "boolean", short: "f" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return "help";
  if (positionals.length > 1) {
    throw new UsageError(`one target at most, got ${positionals.length}: ${positionals.join(" ")}`);
  }
  const [target] = positionals;
  if (
    target !== undefined &&
    !/^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*){0,2}$/.test(target)
  ) {
    throw new UsageError(
      `not a target: ${JSON.stringify(target)} (server, server/platform or server/platform/guest)`,
    );
  }
  const stack = v.stack ?? "testbed";
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(stack))
    throw new UsageError(`not a stack name: ${JSON.stringify(stack)}`);
  return { stack, follow: v.follow ?? false, target };
}

/** The stack's stream files for the target, oldest first (their names end in their start). */
export function streams(dir: string, target?: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const prefix = target ? `${target.split("/").join("-")}-` : "";
  const start = (n: string) => /\.(\d{4}-[\dT-]+Z)\.log$/.exec(n)?.[1];
  return names
    .filter((n) => n.startsWith(prefix) && start(n) !== undefined)
    .sort((a, b) => start(a)!.localeCompare(start(b)!) || a.localeCompare(b))
    .map((n) => path.join(dir, n));
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/**
 * Prints the newest stream, and with `follow` what it and the streams after it
 * print, polling every `pollMs`, until `stop` aborts.
 */
export async function showLogs(
  dir: string,
  o: LogsOptions,
  io: Io,
  stop?: AbortSignal,
  pollMs = 500,
): Promise<number> {
  const all = streams(dir, o.target);
  const what = `${o.target ? `${o.target}'s ` : ""}benchmark steps in ${dir}`;
  if (all.length === 0 && !o.follow) {
    io.err(`no output of ${what} yet: it appears there once \`pulumi up\` starts a benchmark\n`);
    return 1;
  }
  let current = all[all.length - 1];
  let offset = 0;
  const seen = new Set(all);
  const drain = () => {
    if (!current) return;
    const fd = fs.openSync(current, "r");
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return;
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      io.out(buf.toString());
    } finally {
      fs.closeSync(fd);
    }
  };
  const header = (f: string) => io.err(`==> ${path.basename(f)} <==\n`);
  if (current) header(current);
  else io.err(`waiting for ${what} ...\n`);
  drain();
  if (!o.follow) return 0;
  while (!stop?.aborted) {
    await new Promise((r) => setTimeout(r, pollMs));
    drain();
    const next = streams(dir, o.target).filter((f) => !seen.has(f));
    for (const f of next) {
      seen.add(f);
      current = f;
      offset = 0;
      io.out("\n");
      header(f);
      drain();
    }
  }
  return 0;
}

if (require.main === module) {
  let o: LogsOptions | "help";
  try {
    o = parseLogsArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`logs: ${e.message}\n${usage}`);
    process.exit(2);
  }
  if (o === "help") {
    process.stdout.write(help);
    process.exit(0);
  }
  const stop = new AbortController();
  process.on("SIGINT", () => stop.abort());
  showLogs(
    streamDir(o.stack),
    o,
    {
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
    },
    stop.signal,
  ).then((code) => process.exit(code));
}
