// npm run logs -- [--stack <name>] [-f] [<server[/platform[/guest]]>]
// The raw output of a stack's benchmark steps, as they print it: each step
// streams to results/<stack>/trials/<step>.<start>.log while it runs
// (components/measure/live.ts). Without -f, the newest step's whole output;
// with -f, it and what follows, step after step, until interrupted.
import * as fs from "fs";
import * as path from "path";
import { StringDecoder } from "string_decoder";
import { parseArgs } from "util";
import { streamDir, streamsIn } from "../components/measure/live";

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
export function streams(dir: string, target?: string, strict = false): string[] {
  const prefix = target ? `${target.split("/").join("-")}-` : "";
  return streamsIn(dir, strict)
    .filter((s) => s.name.startsWith(prefix))
    .map((s) => s.file);
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/**
 * Prints the newest stream, and with `follow` what every stream prints from
 * then on (steps on other servers, or blocks of their own, run at the same
 * time), each part under its file's name, polling every `pollMs`, until
 * `stop` aborts.
 */
export async function showLogs(
  dir: string,
  o: LogsOptions,
  io: Io,
  stop?: AbortSignal,
  pollMs = 500,
): Promise<number> {
  let all: string[];
  try {
    all = streams(dir, o.target, true);
  } catch (e) {
    io.err(`logs: cannot read ${dir}: ${(e as Error).message}\n`);
    return 1;
  }
  const what = `${o.target ? `${o.target}'s ` : ""}benchmark steps in ${dir}`;
  if (all.length === 0 && !o.follow) {
    io.err(`no output of ${what} yet: it appears there once \`pulumi up\` starts a benchmark\n`);
    return 1;
  }
  // Per file: how far it was read, and a decoder that keeps a character cut between reads whole.
  const read = new Map<string, { offset: number; decoder: StringDecoder }>();
  let shown: string | undefined;
  const drain = (f: string, from?: number) => {
    const r = read.get(f) ?? { offset: from ?? 0, decoder: new StringDecoder("utf8") };
    read.set(f, r);
    let fd: number;
    try {
      // Never through a link, never blocked on a pipe.
      fd = fs.openSync(
        f,
        fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // gone meanwhile
      throw e;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.size <= r.offset) return;
      const buf = Buffer.alloc(st.size - r.offset);
      const n = fs.readSync(fd, buf, 0, buf.length, r.offset);
      r.offset += n;
      const text = r.decoder.write(buf.subarray(0, n));
      if (!text) return;
      if (shown !== f) {
        if (shown !== undefined) io.out("\n");
        io.err(`==> ${path.basename(f)} <==\n`);
        shown = f;
      }
      io.out(text);
    } finally {
      fs.closeSync(fd);
    }
  };
  const newest = all[all.length - 1];
  if (newest) drain(newest);
  else io.err(`waiting for ${what} ...\n`);
  if (!o.follow) return 0;
  // The others as they are now: only what they print from here on.
  for (const f of all.slice(0, -1)) {
    read.set(f, { offset: sizeOf(f), decoder: new StringDecoder("utf8") });
  }
  while (!stop?.aborted) {
    await new Promise((r) => setTimeout(r, pollMs));
    for (const f of streams(dir, o.target)) drain(f);
  }
  return 0;
}

const sizeOf = (f: string) => {
  try {
    return fs.lstatSync(f).size;
  } catch {
    return 0;
  }
};

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
