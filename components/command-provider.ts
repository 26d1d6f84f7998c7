import * as cp from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { ResourceProvider } from "@pulumi/pulumi/dynamic";
import { redactor } from "./secrets";
import { envNames } from "./measure/protocol";
import { emulatorRunning } from "./server/emulated/alive";
import { engineAddress } from "./engine-status";
import type { Live } from "./measure/live";

/*
 * The Command resource's implementation: what runs in the dynamic provider's
 * process. It is a module of its own, loaded there by a small stub (see
 * command.ts), rather than a closure serialized into every resource: the
 * serialized closure was 13 KB in each resource's inputs and state, most of
 * a large preview's payload.
 */

export interface SshConnection {
  host: string;
  port: number;
  user: string;
  /** PEM/OpenSSH private key; keep it a Pulumi secret. Empty: ssh-agent's keys (SSH_AUTH_SOCK). */
  privateKey: string;
  /** Seconds to wait for the SSH handshake. */
  connectTimeoutSeconds: number;
  /** Reach `host` through this one first (with its own key, or the same one), and it through its own. */
  jump?: Hop;
  /**
   * `host`'s public host key ("ssh-ed25519 AAAA..."), when the project made it
   * (an emulated server): any other key is refused before authentication.
   */
  hostKey?: string;
  /**
   * Which machine answers at host:port, when that can change (an emulated
   * server made again): another instance is another target, so the steps
   * on the old one are deleted there before it goes.
   */
  instance?: string;
  /**
   * The emulated server's directory on this machine, when host is one or a
   * guest on one: a delete that cannot reach it asks whether its QEMU still
   * runs (emulated/alive.ts).
   */
  emulator?: string;
}

export interface ScriptRun {
  stdout: string;
  stderr: string;
  exitCode: number;
  startedAt: string;
  durationSeconds: number;
}

function runRecord(stdout: string, stderr: string, code: number | null, started: number) {
  return {
    stdout,
    stderr,
    exitCode: code ?? -1,
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
  };
}

/*
 * A pulumi killed mid-update (SIGKILL) leaves the dynamic provider running.
 * One watch on the engine's address (the provider's argument) per process:
 * once it stops answering, every running step is stopped rather than left
 * running on unseen (a benchmark would overlap the next update's), and the
 * provider's process exits, so nothing of ours outlives the engine.
 */
const inProvider = () => /dynamic-provider/.test(require.main?.filename ?? "");
const engines = new Map<string, { gone: boolean; listeners: Set<() => void> }>();
let runningSteps = 0;

/** Stops every running step; the provider's process exits once they are stopped. */
function stopAll(watched: { gone: boolean; listeners: Set<() => void> }): void {
  if (watched.gone) return;
  watched.gone = true;
  watched.listeners.forEach((l) => l());
  if (!inProvider()) return;
  // Steps report back and end the process (engineGoneError); a remote one
  // needs its kill sent first. Whatever is left then, the process goes.
  setTimeout(() => process.exit(1), runningSteps === 0 ? 0 : 20_000);
}

function engine(address: string) {
  const known = engines.get(address);
  if (known) return known;
  const watched = { gone: false, listeners: new Set<() => void>() };
  engines.set(address, watched);
  const [host, port] = address.split(":");
  // Gone means refused twice in a row: a probe that fails otherwise (no file
  // descriptor left, say) is no sign of a dead engine.
  let refused = 0;
  const timer = setInterval(() => {
    const probe = net.connect(Number(port), host);
    probe.once("connect", () => {
      refused = 0;
      probe.destroy();
    });
    probe.once("error", (e: NodeJS.ErrnoException) => {
      refused = e.code === "ECONNREFUSED" ? refused + 1 : 0;
      if (refused < 2) return;
      clearInterval(timer);
      stopAll(watched);
    });
  }, 1000);
  timer.unref();
  return watched;
}
if (inProvider() && engineAddress()) {
  const watched = engine(engineAddress()!);
  // SIGTERM (scripts/reap.sh, once the CLI is gone): stop the steps, then go.
  process.on("SIGTERM", () => stopAll(watched));
}

/** Calls `gone` once the engine is gone. Returns the way to stop watching. */
function watchEngine(gone: () => void): () => void {
  const address = engineAddress();
  if (!address) return () => {};
  const e = engine(address);
  runningSteps++;
  if (e.gone) setImmediate(gone);
  else e.listeners.add(gone);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    runningSteps--;
    e.listeners.delete(gone);
  };
}

function engineGoneError(step: string): Error {
  // Nothing is left for the dynamic provider's process to do for a dead engine
  // once its last step is stopped.
  if (inProvider() && runningSteps === 0) setTimeout(() => process.exit(1), 100);
  return new Error(`${step}: stopped: the pulumi engine that started it is gone`);
}

/**
 * A shell command that kills a process and all its descendants, found before
 * any is killed (so none is orphaned out of reach first). The same on this
 * machine and on a server over SSH.
 */
export function killTree(pid: number): string {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`not a process to kill: ${pid}`);
  // TERM first, so a step's own cleanup runs (pair.sh stops the benchmark
  // server it started detached, which no tree kill reaches); KILL after 3 s.
  return [
    `tree() { ps -e -o pid=,ppid= | awk -v root=${pid} '{ parent[$1] = $2 } END { n = 1; q[1] = root;` +
      ` for (i = 1; i <= n; i++) for (p in parent) if (parent[p] == q[i]) q[++n] = p;` +
      ` for (i = 1; i <= n; i++) print q[i] }'; }`,
    "first=$(tree)",
    "kill -TERM $first 2>/dev/null",
    // Zombies do not count: a parent blocked here cannot reap them yet.
    `for _ in $(seq 1 30); do ps -o stat= -p "$(echo $first | tr ' ' ,)" | grep -qv '^Z' || break; sleep 0.1; done`,
    "kill -KILL $first $(tree) 2>/dev/null",
    "true",
  ].join("\n");
}

/**
 * The most a step's stdout may be: 256 MiB, the same for local and remote steps.
 * The stdout is the step's record (a run's every trial, parsed and archived from
 * it) and goes into the stack's state, so it has a bound; it is a generous one:
 * the largest trial the schemas allow, iperf3's JSON with `duration: 600,
 * parallel: 8`, is about 16 MB, so 3 repeats of it are 48 MB and 15 fit, and
 * the bound stays well below Pulumi's 400 MiB limit on a message between the
 * engine and a provider. A step that prints more fails, naming itself and how
 * much it printed: a cut output would silently lose what comes last (trials).
 */
export const outputLimitBytes = 256 * 1024 * 1024;
/** stderr is only read for messages (its last lines): its first 8 MiB are kept, and the rest said to be cut. */
const stderrLimitBytes = 8 * 1024 * 1024;

const size = (n: number) => `${n} bytes (${(n / 2 ** 20).toFixed(1)} MiB)`;

/**
 * What a step prints on one stream, kept up to `limit` bytes and counted past
 * it. Decoded once, at the end, so a character split between chunks stays whole.
 */
class Captured {
  private chunks: Buffer[] = [];
  bytes = 0;
  constructor(private readonly limit: number) {}
  add(d: Buffer): void {
    const room = Math.max(0, this.limit - this.bytes);
    if (room > 0) this.chunks.push(d.length <= room ? d : d.subarray(0, room));
    this.bytes += d.length;
  }
  text(): string {
    const kept = Buffer.concat(this.chunks).toString();
    // A stream cut here says so (and a step whose stdout is cut fails).
    return this.bytes > this.limit
      ? `${kept}\n[${this.bytes - this.limit} more bytes not kept]`
      : kept;
  }
  /** Why the step fails when its stdout is over the limit, else undefined. */
  tooLong(step: string, where = ""): Error | undefined {
    if (this.bytes <= this.limit) return undefined;
    return new Error(
      `${step}: printed ${size(this.bytes)} on stdout${where}, more than the ` +
        `${size(this.limit)} a step may print: its output would be cut, losing its end ` +
        "(trials), so the step fails; run fewer or shorter trials",
    );
  }
}

/** Runs a bash script; rejects with a message naming the step on failure, timeout or too much output. */
export function runScript(
  script: string,
  env: Record<string, string>,
  timeoutSeconds: number,
  step: string,
  limitBytes = outputLimitBytes,
  onStdout?: (d: Buffer) => void,
): Promise<ScriptRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = cp.spawn("bash", ["-c", script], {
      env: { ...process.env, ...env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = new Captured(limitBytes);
    const err = new Captured(stderrLimitBytes);
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => {
      out.add(d);
      onStdout?.(d);
    });
    child.stderr.on("data", (d: Buffer) => err.add(d));
    // The script and everything under it: a step's children must not outlive
    // it, even those in a process group of their own (`timeout` makes one).
    const killGroup = () => {
      if (child.pid === undefined) return;
      cp.spawnSync("bash", ["-c", killTree(child.pid)], { stdio: "ignore" });
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutSeconds * 1000);
    let engineGone = false;
    const unwatch = watchEngine(() => {
      engineGone = true;
      killGroup();
    });
    const tail = (s: string) => s.trimEnd().split("\n").slice(-20).join("\n");
    child.on("error", (e) => {
      clearTimeout(timer);
      unwatch();
      reject(new Error(`${step}: could not start bash: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      unwatch();
      if (engineGone) return reject(engineGoneError(step));
      const [stdout, stderr] = [out.text(), err.text()];
      if (timedOut) {
        reject(new Error(`${step}: timed out after ${timeoutSeconds}s\n${tail(stderr)}`));
      } else if (code !== 0) {
        const why = code === null ? `killed by ${signal}` : `exited with code ${code}`;
        reject(new Error(`${step}: ${why}\n${tail(stderr) || tail(stdout)}`));
      } else {
        const tooLong = out.tooLong(step);
        if (tooLong) reject(tooLong);
        else resolve(runRecord(stdout, stderr, code, started));
      }
    });
  });
}

/** `export NAME='value'` lines: values are single-quoted, so the shell never expands them. */
export function exportLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        throw new Error(`bad environment variable name ${JSON.stringify(k)}`);
      return `export ${k}='${String(v).replace(/'/g, "'\\''")}'\n`;
    })
    .join("");
}

/**
 * Runs a bash script over SSH. The script and its environment go over stdin,
 * never on a command line; the remote `timeout` kills the script's process
 * group when time is up, and a second channel its whole tree when the engine
 * is gone, so nothing outlives the step on the server.
 */
const pidTag = "vtb-remote-pid ";
const pidLine = new RegExp(`^${pidTag}(\\d+)\\n`);

/** A host key as ssh2 hands it over (wire format) against an OpenSSH public key line. */
export function samePublicKey(wire: Buffer, openssh: string): boolean {
  const b64 = openssh.trim().split(/\s+/)[1] ?? "";
  return b64.length > 0 && Buffer.from(b64, "base64").equals(wire);
}

/**
 * A jump host on the way to a step's host: a guest is reached through its
 * server, and the server through its bastion when it has one (`jump`).
 */
export interface Hop {
  host: string;
  port: number;
  user: string;
  /** Its own key; without one, the step's host's. */
  privateKey?: string;
  hostKey?: string;
  /** Its own handshake limit; without one, the step's host's. */
  connectTimeoutSeconds?: number;
  /** The hop before it. */
  jump?: Hop;
  /** An emulated jump host's directory on this machine (see SshConnection.emulator). */
  emulator?: string;
}

/** The emulated jump hosts' directories along a chain, nearest first. */
const hops = (h: Hop | undefined): (string | undefined)[] =>
  h ? [h.emulator, ...hops(h.jump)] : [];

/** The step never reached its host: SSH did not connect (refused, silent, a jump that could not reach it). */
export class Unreached extends Error {}

export function runRemoteScript(
  conn: SshConnection,
  script: string,
  env: Record<string, string>,
  timeoutSeconds: number,
  step: string,
  limitBytes = outputLimitBytes,
  onStdout?: (d: Buffer) => void,
): Promise<ScriptRun> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("ssh2") as typeof import("ssh2");
  const started = Date.now();
  const where = `${conn.user}@${conn.host}:${conn.port}`;
  const open = (
    host: string,
    port: number,
    user: string,
    sock?: NodeJS.ReadableStream,
    key?: string,
    hostKey?: string,
    connectTimeoutSeconds = conn.connectTimeoutSeconds,
  ): Promise<InstanceType<typeof Client>> =>
    new Promise((resolve, reject) => {
      const c = new Client();
      c.on("ready", () => resolve(c));
      c.on("error", (e: Error) =>
        reject(new Unreached(`${step}: ssh ${user}@${host}:${port}: ${e.message}`)),
      );
      // A jump host without a key of its own is reached with the server's.
      const privateKey = key ?? conn.privateKey;
      const agent = process.env.SSH_AUTH_SOCK;
      if (!privateKey && !agent) {
        return reject(
          new Error(
            `${step}: ssh ${user}@${host}:${port}: no private key, and no ssh-agent to ask ` +
              "(SSH_AUTH_SOCK is not set where pulumi runs)",
          ),
        );
      }
      c.connect({
        host,
        port,
        username: user,
        ...(privateKey ? { privateKey } : { agent }),
        readyTimeout: connectTimeoutSeconds * 1000,
        // A server that stops answering (rebooted, hung) ends the step in a
        // minute, not at its timeout.
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        sock: sock as never,
        ...(hostKey ? { hostVerifier: (k: Buffer) => samePublicKey(k, hostKey) } : {}),
      });
    });
  const tail = (s: string) => s.trimEnd().split("\n").slice(-20).join("\n");
  return (async () => {
    const clients: InstanceType<typeof Client>[] = [];
    /** A channel to `to` through `via` (itself reached through the hops before it); none when direct. */
    const tunnel = async (
      via: Hop | undefined,
      to: string,
      host: string,
      port: number,
      limitSeconds: number,
    ): Promise<NodeJS.ReadableStream | undefined> => {
      if (!via) return undefined;
      const before = await tunnel(
        via.jump,
        `${via.user}@${via.host}:${via.port}`,
        via.host,
        via.port,
        via.connectTimeoutSeconds ?? conn.connectTimeoutSeconds,
      );
      const j = await open(
        via.host,
        via.port,
        via.user,
        before,
        via.privateKey,
        via.hostKey,
        via.connectTimeoutSeconds,
      );
      clients.push(j);
      return new Promise((resolve, reject) => {
        // The jump host's own connect to a host that is down waits out its
        // kernel's SYN retries (about 2 min): this hop's limit is the handshake's.
        const late = setTimeout(
          () =>
            reject(
              new Unreached(
                `${step}: ssh ${to} through ${via.host}: no connection within ${limitSeconds}s`,
              ),
            ),
          limitSeconds * 1000,
        );
        j.forwardOut("127.0.0.1", 0, host, port, (e, ch) => {
          clearTimeout(late);
          if (e) reject(new Unreached(`${step}: ssh ${to} through ${via.host}: ${e.message}`));
          else resolve(ch);
        });
      });
    };
    try {
      const sock = await tunnel(conn.jump, where, conn.host, conn.port, conn.connectTimeoutSeconds);
      const c = await open(conn.host, conn.port, conn.user, sock, undefined, conn.hostKey);
      clients.push(c);
      return await new Promise<ScriptRun>((resolve, reject) => {
        c.exec(
          // Its first line on stderr is the remote pid, for a kill should the engine go.
          `echo "${pidTag}$$" >&2; exec timeout --kill-after=10 ${Math.max(1, Math.floor(timeoutSeconds))} bash -s`,
          (e, ch) => {
            if (e) return reject(new Error(`${step}: ssh ${where}: ${e.message}`));
            const out = new Captured(limitBytes);
            const err = new Captured(stderrLimitBytes);
            let pid: string | undefined;
            // stderr until its first line (the pid) is whole; then undefined.
            let head: string | undefined = "";
            ch.on("data", (d: Buffer) => {
              out.add(d);
              onStdout?.(d);
            });
            ch.stderr.on("data", (d: Buffer) => {
              if (head === undefined) return err.add(d);
              head += d.toString();
              const m = pidLine.exec(head);
              if (!m && !head.includes("\n")) return;
              pid = m?.[1];
              err.add(Buffer.from(head.slice(m ? m[0].length : 0)));
              head = undefined;
            });
            // sshd refuses signal requests for root sessions ("session signalling
            // requires privilege separation"): a second channel kills the step's
            // whole tree, as a local step's is killed.
            let engineGone = false;
            const unwatch = watchEngine(() => {
              engineGone = true;
              if (pid) c.exec(killTree(Number(pid)), (_e, k) => k?.resume());
              setTimeout(() => ch.close(), 15_000).unref();
            });
            ch.on("close", (code: number | null | undefined, signal?: string) => {
              unwatch();
              if (engineGone) return reject(engineGoneError(step));
              if (head) err.add(Buffer.from(head));
              const [stdout, stderr] = [out.text(), err.text()];
              const tooLong = out.tooLong(step, ` on ${where}`);
              if (code === 124 || code === 137) {
                reject(
                  new Error(
                    `${step}: timed out after ${timeoutSeconds}s on ${where}\n${tail(stderr)}`,
                  ),
                );
              } else if (code === null && signal) {
                reject(new Error(`${step}: killed by ${signal} on ${where}\n${tail(stderr)}`));
              } else if (code === null || code === undefined) {
                // No exit status: sshd or the server went away under the step.
                reject(
                  new Error(
                    `${step}: cut off on ${where} before it ended (the server rebooted, or its sshd or network went away); whether it finished is unknown\n${tail(stderr) || tail(stdout)}`,
                  ),
                );
              } else if (code !== 0) {
                reject(
                  new Error(
                    `${step}: exited with code ${code} on ${where}\n${tail(stderr) || tail(stdout)}`,
                  ),
                );
              } else if (tooLong) {
                reject(tooLong);
              } else {
                resolve(runRecord(stdout, stderr, code, started));
              }
            });
            ch.end(exportLines(env) + script);
          },
        );
      });
    } finally {
      clients.reverse().forEach((c) => c.end());
    }
  })();
}

// The dynamic provider API hands inputs and state over untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

/** Runs a step where its connection says: locally, or over SSH; its stdout to `live` as it comes. */
function runStep(props: Props, body: string, step: string, live?: Live): Promise<ScriptRun> {
  const env = props.environment ?? {};
  const timeout = props.timeoutSeconds ?? 3600;
  const script = (props.prelude ?? "") + body;
  const watch = live && ((d: Buffer) => live.stdout(d));
  return props.connection
    ? runRemoteScript(props.connection, script, env, timeout, step, outputLimitBytes, watch)
    : runScript(script, env, timeout, step, outputLimitBytes, watch);
}

// Inputs whose change reruns `create`.
const replacingKeys = ["create", "environment", "triggers", "rounds"];

/**
 * The step's own script is the same: equal, or a record made before preludes
 * were kept apart, whose `create` is an old prelude followed by this one.
 */
function sameCreate(olds: Props, news: Props): boolean {
  if (olds.create === news.create) return true;
  return (
    olds.prelude === undefined &&
    news.prelude !== undefined &&
    typeof olds.create === "string" &&
    typeof news.create === "string" &&
    news.create.length > 0 &&
    olds.create.endsWith(news.create)
  );
}
// A new key or jump host alone does not make it another target.
const target = (p: Props) =>
  p.connection
    ? {
        host: p.connection.host,
        port: p.connection.port,
        user: p.connection.user,
        ...(p.connection.instance ? { instance: p.connection.instance } : {}),
      }
    : null;

/**
 * A step in rounds (an interleaved benchmark run): `create` once per round,
 * given its number and its order (envNames.round, .roundOrder), until the
 * rounds' stop rule says the trials are enough (from round `min` on) or the
 * order ends. Each round's output goes to the stream file as it ends. A round
 * that fails ends the step: the rounds before it are kept, with the failure.
 */
export interface Rounds {
  /** Per round, the units' order, e.g. "2 0 1"; as many as the most rounds allowed. */
  order: string[];
  /** Rounds always run. */
  min: number;
  /** What the rounds' output sections are numbered by (target keys), for readers of the record. */
  targets?: string[];
  /** A module of the project (path from its root) whose `stopRule(stdout, args, round, last)` says why to stop, or "". */
  stop?: { module: string; args: unknown };
}

/** The stop rule a round's step names, loaded in this process once. */
function stopRule(
  module: string,
): (out: string, args: unknown, round: number, last: boolean) => string {
  const candidates = [path.join(process.cwd(), module), path.join(__dirname, "..", module)];
  const file = candidates.find((f) => fs.existsSync(`${f}.ts`) || fs.existsSync(`${f}.js`));
  if (!file) throw new Error(`no stop rule module at ${candidates.join(".ts or ")}.ts`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file).stopRule;
}

/** The step's provenance as it is now, and when it ended: the record of what measured it. */
const measuredWith = (inputs: Props) =>
  inputs.provenance
    ? { measuredWith: { ...inputs.provenance, endedAt: new Date().toISOString() } }
    : {};

/** The record without keys that have no value: the engine takes no `undefined` in a step's state. */
const defined = (o: Props): Props =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

async function createRounds(inputs: Props, hide: (s: string) => string) {
  const rounds = inputs.rounds as Rounds;
  const t0 = Date.now();
  const live = liveFor(inputs, t0);
  const rule = rounds.stop ? stopRule(rounds.stop.module) : undefined;
  let stdout = "";
  let stderr = "";
  let exitCode = 0;
  let failure = "";
  let stopped = "";
  let done = 0;
  try {
    for (let r = 1; r <= rounds.order.length && !stopped; r++) {
      const environment = {
        ...(inputs.environment ?? {}),
        [envNames.round]: String(r),
        [envNames.roundOrder]: rounds.order[r - 1],
      };
      live?.roundStarted(r);
      try {
        const run = await runStep(
          { ...inputs, environment },
          inputs.create,
          `${inputs.step}, round ${r}`,
          live,
        );
        stdout += hide(run.stdout);
        stderr += hide(run.stderr);
        exitCode = run.exitCode;
        done = r;
        if (stdout.length > outputLimitBytes) {
          // The rounds together, not only each, must fit in a record (the stream keeps them all).
          failure = `${inputs.step}: its rounds printed ${size(stdout.length)}, more than the ${size(outputLimitBytes)} a step may keep; run fewer or shorter trials`;
          break;
        }
      } catch (e) {
        failure = hide((e as Error).message);
        live?.note(`round ${r} failed: ${failure}`);
        break;
      }
      const last = r === rounds.order.length;
      if (rule && r >= rounds.min) stopped = rule(stdout, rounds.stop!.args, r, last);
      else if (last) stopped = `${r} rounds, as asked`;
    }
  } finally {
    live?.close();
  }
  if (failure && !inputs.failSoftly) throw new Error(failure);
  const outs = {
    stdout,
    stderr,
    exitCode: failure ? -1 : exitCode,
    startedAt: new Date(t0).toISOString(),
    durationSeconds: (Date.now() - t0) / 1000,
    failure,
    stopped: failure ? `round ${done + 1} failed` : stopped,
    roundsRun: done,
    ...measuredWith(inputs),
  };
  return { id: crypto.randomUUID(), outs: { ...inputs, ...outs } };
}

/**
 * Whether a step that failed at try `tries` (the first at `t0`) is tried again,
 * and if so after how many ms: while `retryFor` seconds have not passed since
 * t0, `delay` s apart, the last wait cut to the limit. Else what the error
 * adds to say so: a line of its own, or nothing for a step tried once.
 */
export function retryPlan(
  t0: number,
  tries: number,
  retryFor: number,
  delay: number,
  now = Date.now(),
): { waitMs: number } | { gaveUp: string } {
  const left = t0 + retryFor * 1000 - now;
  if (left > 0) return { waitMs: Math.min(delay * 1000, left) };
  const spent = Math.round((now - t0) / 1000);
  return {
    gaveUp:
      retryFor > 0
        ? `\n(gave up after ${tries} tries in ${spent} s; the limit was ${retryFor} s)`
        : "",
  };
}

/**
 * A benchmark step's live side (measure/live.ts), or none for a step that
 * neither shows progress nor streams. Loaded only then: it brings the
 * benchmarks' parsers into the provider's process.
 */
function liveFor(inputs: Props, t0: number): Live | undefined {
  if (!inputs.progress && !inputs.streamTo) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Live } = require("./measure/live") as typeof import("./measure/live");
  return new Live(inputs.progress, inputs.streamTo, inputs.redact ?? [], t0);
}

/** A step's create: its tries, then its record, secrets hidden. */
async function create(inputs: Props, hide: (s: string) => string) {
  const t0 = Date.now();
  let run: ScriptRun | undefined;
  const id = crypto.randomUUID();
  const live = liveFor(inputs, t0);
  try {
    for (let i = 1; run === undefined; i++) {
      try {
        run = await runStep(inputs, inputs.create, inputs.step, live);
      } catch (e) {
        const plan = retryPlan(t0, i, inputs.retryForSeconds ?? 0, inputs.retryDelaySeconds ?? 10);
        if ("gaveUp" in plan) {
          const err = plan.gaveUp ? new Error((e as Error).message + plan.gaveUp) : (e as Error);
          if (!inputs.failSoftly) throw err;
          const failed = {
            stdout: "",
            stderr: "",
            exitCode: -1,
            startedAt: new Date(t0).toISOString(),
            durationSeconds: (Date.now() - t0) / 1000,
            failure: hide(err.message),
          };
          return { id, outs: { ...inputs, ...failed } };
        }
        live?.note(`try ${i} failed: ${hide((e as Error).message)}`);
        await new Promise((r) => setTimeout(r, plan.waitMs));
      }
    }
    // With retries, the step's time is from the first attempt to the success.
    run = {
      ...run,
      stdout: hide(run.stdout),
      stderr: hide(run.stderr),
      startedAt: new Date(t0).toISOString(),
      durationSeconds: (Date.now() - t0) / 1000,
    };
    return { id, outs: { ...inputs, ...run, failure: "", ...measuredWith(inputs) } };
  } finally {
    live?.close();
  }
}

export const provider: ResourceProvider = {
  async check(_olds, news) {
    return { inputs: news };
  },
  async diff(_id, olds, news) {
    const same = (k: string) =>
      (k === "create" && sameCreate(olds, news)) ||
      JSON.stringify(olds[k] ?? null) === JSON.stringify(news[k] ?? null);
    const replaces = replacingKeys.filter((k) => !same(k));
    if (JSON.stringify(target(olds)) !== JSON.stringify(target(news))) replaces.push("connection");
    if (
      news.rerunIfStdoutMatches &&
      new RegExp(news.rerunIfStdoutMatches, "m").test(olds.stdout ?? "")
    ) {
      replaces.push("stdout");
    }
    if (olds.failure) replaces.push("failure");
    const changes =
      replaces.length > 0 ||
      ![
        "delete",
        "timeoutSeconds",
        "step",
        "connection",
        "retryForSeconds",
        "deleteRetryForSeconds",
        "retryDelaySeconds",
        "redact",
        "prelude",
      ].every(same);
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async create(inputs) {
    const hide = redactor(inputs.redact ?? []).text;
    try {
      return inputs.rounds ? await createRounds(inputs, hide) : await create(inputs, hide);
    } catch (e) {
      throw new Error(hide((e as Error).message));
    }
  },
  async update(_id, olds, news) {
    // Only non-replacing inputs changed: keep the recorded run, with what has
    // become a secret since it ran hidden in it too.
    const hide = redactor(news.redact ?? []).text;
    const { exitCode, startedAt, durationSeconds, stopped, roundsRun, measuredWith } = olds;
    const [stdout, stderr, failure] = [olds.stdout, olds.stderr, olds.failure].map((t) =>
      typeof t === "string" ? hide(t) : t,
    );
    return {
      outs: defined({
        ...news,
        stdout,
        stderr,
        exitCode,
        startedAt,
        durationSeconds,
        failure,
        stopped,
        roundsRun,
        measuredWith,
      }),
    };
  },
  async delete(_id, props) {
    if (!props.delete) return;
    const t0 = Date.now();
    const delay = props.retryDelaySeconds ?? 10;
    // State written before the limit was a time holds a count of tries.
    const legacy = (props as { deleteAttempts?: number }).deleteAttempts;
    const retryFor = props.deleteRetryForSeconds ?? ((legacy ?? 1) - 1) * delay;
    for (let i = 1; ; i++) {
      try {
        // The delete script sees what create printed, so it can undo exactly that.
        await runStep(
          {
            ...props,
            environment: { ...(props.environment ?? {}), CREATE_STDOUT: props.stdout ?? "" },
          },
          props.delete,
          `${props.step} (delete)`,
        );
        return;
      } catch (e) {
        // Tried again: a server not answering, or a script's "not yet" (exit
        // 75, EX_TEMPFAIL). Any other failure is the answer.
        const code = /: exited with code (\d+)/.exec((e as Error).message)?.[1];
        const emulator = props.connection?.emulator;
        if (e instanceof Unreached && emulator && !emulatorRunning(emulator)) {
          // Its overlay disk is made anew at each start: nothing of the step is left to undo.
          console.error(
            redactor(props.redact ?? []).text(
              `warning: ${props.step}: not undone: its emulated server's QEMU no longer runs, and what was on the server went with its disk\n${(e as Error).message}`,
            ),
          );
          return;
        }
        const plan = retryPlan(t0, i, retryFor, delay);
        if ("gaveUp" in plan || (code !== undefined && code !== "75")) {
          let more = "gaveUp" in plan ? plan.gaveUp : "";
          // An emulated jump host gone: the server behind it is out of reach for good.
          const front = hops(props.connection?.jump).find((h) => h && !emulatorRunning(h));
          if (e instanceof Unreached && emulator && front) {
            more += `\nIts jump host's QEMU (${front}) no longer runs, so this server cannot be reached. Stop this server's QEMU too (kill the pid in ${emulator}/qemu.pid) and destroy again: what was on it goes with its disk.`;
          } else if (e instanceof Unreached && emulator) {
            more += `\nIts emulated server's QEMU still runs. If the server is hung, stop it (kill the pid in ${emulator}/qemu.pid) and destroy again: what was on it goes with its disk.`;
          }
          throw new Error(redactor(props.redact ?? []).text((e as Error).message + more));
        }
        await new Promise((r) => setTimeout(r, plan.waitMs));
      }
    }
  },
};
