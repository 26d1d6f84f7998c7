/**
 * The runner protocol: what the TypeScript side of a benchmark run and the
 * bash scripts of this folder (runner.sh, way-in.sh, enter.sh, pair.sh,
 * group.sh) agree on, defined once, here.
 *
 * - Markers: the framing lines the scripts print around what ran in a target,
 *   at two levels: a trial's (runner.sh) and a concurrent group's guests'
 *   (group.sh); and the line of a run that did not happen. The scripts print
 *   them with the bash functions `markerFunctions` generates from this module
 *   (prepended to runner.sh, and by withWayIn to the scripts that use way_in);
 *   trials.ts, group.ts and run.ts match them with `markerPattern`. Archived
 *   runs hold these lines: change one and old runs no longer parse.
 * - Environment: the variables a step's scripts read (`envNames`) and the ways
 *   into a target (`wayPrefixes`, `wayFields`). Bash reads a variable as
 *   $NAME, so the .sh files spell the names out; test/unit/measure/protocol.test.ts
 *   fails when a script and this module disagree (`envReaders`, `wayReaders`).
 *
 * A benchmark's own script prints "@@@ <section>" lines of its own inside a
 * trial (iperf's "@@@ forward", everyone's "@@@ end"): they are its parser's
 * business, not this protocol's. They share the prefix, not the form: a
 * marker here has an index after its word, and theirs have none.
 */

/** A framing line: "<head> <index>", then " <field>=<value>" for each field. */
export interface Marker {
  /** "@@@ " and the marker's word. */
  readonly head: string;
  /** The fields after the index, in order. */
  readonly fields: readonly string[];
  /** The bash function (from `markerFunctions`) that prints it: `<function> INDEX [VALUE...]`. */
  readonly bashFunction: string;
  /**
   * Printed right after a tool's own output (runner.sh; units.sh after a way in's stderr): where its last
   * line has no newline, the marker follows it on that line, and is read there.
   */
  readonly afterOutput?: true;
}

const marker = (word: string, bashFunction: string, ...fields: string[]): Marker => ({
  head: `@@@ ${word}`,
  fields,
  bashFunction,
});
const afterOutput = (m: Marker): Marker => ({ ...m, afterOutput: true });

/** The markers, each with who writes it and who reads it. */
export const markers = {
  /** Trial N starts; its stdout follows. runner.sh writes; trials.ts and run.ts's rerun pattern read. */
  trial: marker("trial", "mark_trial"),
  /** Trial N failed or wrote on stderr; the tail of its stderr follows. runner.sh writes; trials.ts reads. */
  stderr: afterOutput(marker("stderr", "mark_stderr")),
  /** Trial N ended: its exit code and seconds on the target's clock. runner.sh writes; trials.ts and run.ts's rerun pattern read. */
  end: afterOutput(marker("end", "mark_end", "rc", "seconds")),
  /** Guest I's section of a group's output starts: its runner's output follows. group.sh writes; group.ts reads. */
  guest: marker("guest", "mark_guest"),
  /** The way into guest I failed (its exit code); the tail of its stderr follows. group.sh writes; group.ts and run.ts's rerun pattern read. */
  guestFailed: marker("guest-failed", "mark_guest_failed", "rc"),
  /** Guest I's section ends. group.sh writes; group.ts reads. */
  guestEnd: afterOutput(marker("guest-end", "mark_guest_end")),
  /**
   * Round R of an interleaved run starts: its units' order, and the server as
   * it is: the kernel's mitigations setting, what it reports vulnerable, the
   * root filesystem, the default route's NIC. interleave.sh writes;
   * interleaved-output.ts reads (runs archived before the server's fields have
   * the order alone).
   */
  round: marker("round", "mark_round", "order", "mitigations", "vulnerable", "fs", "nic"),
  /**
   * In round R, unit U (at `position` of the order) starts: the guests paused
   * for it (or "-"), and the host's load, CPU governor and MHz, kernel, clock
   * and busy CPUs (how many CPUs' worth of time was not idle) just before, and
   * the seconds it waited for the host to get quiet, and before that for
   * another stack's turn on this server to end (`lockwait`). interleave.sh
   * writes; interleaved-output.ts reads (older runs lack `busy`, `waited` and
   * `lockwait`).
   */
  turn: marker(
    "turn",
    "mark_turn",
    "unit",
    "position",
    "paused",
    "load",
    "governor",
    "mhz",
    "kernel",
    "at",
    "busy",
    "waited",
    "lockwait",
  ),
} as const;

/** A marker's line: `markerLine(markers.end, 2, 0, "1.500")` is "@@@ end 2 rc=0 seconds=1.500"; fewer values, fewer fields. */
export function markerLine(m: Marker, index: number | string, ...values: (number | string)[]) {
  return [`${m.head} ${index}`, ...values.map((v, i) => `${m.fields[i]}=${v}`)].join(" ");
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A regular expression's source matching a marker line from its start ("^",
 * for the m flag; a marker `afterOutput` also after a tool's unterminated last
 * line): `index` and `values` are sources themselves ("(\\d+)", "\\1");
 * without an index, any line with the marker's head; with fewer values than
 * fields, the line's beginning. No "$": the caller adds it.
 */
export function markerPattern(m: Marker, index?: string, ...values: string[]): string {
  if (values.length > m.fields.length) throw new Error(`${m.head}: more values than fields`);
  return (
    `${m.afterOutput ? "" : "^"}${escapeRegExp(m.head)}` +
    (index === undefined ? "" : ` ${index}`) +
    values.map((v, i) => ` ${escapeRegExp(m.fields[i])}=${v}`).join("")
  );
}

/** The pattern of a whole line of the marker, with every field. */
export const markerLinePattern = (m: Marker, index: string, ...values: string[]) => {
  if (values.length !== m.fields.length) throw new Error(`${m.head}: one value per field`);
  return `${markerPattern(m, index, ...values)}$`;
};

/** The whole output of a run whose target is down: run.ts's stand-in command (notRun) writes it; run.ts's rerun pattern reads it. */
export const notRunLine = "@@@ not run";
/** A regular expression's source matching notRunLine from a line's start. */
export const notRunPattern = `^${escapeRegExp(notRunLine)}`;

/**
 * The bash functions that print the markers, one per marker: `mark_end 2 0
 * 1.500` prints "@@@ end 2 rc=0 seconds=1.500". Put in front of runner.sh and
 * of the scripts that use way_in, so the scripts print what the parsers here
 * read.
 */
export const markerFunctions = [
  "# Generated by components/measure/protocol.ts: the runner protocol's markers,",
  "# printed by these functions only (`mark_end INDEX RC SECONDS`, ...).",
  ...Object.values(markers).map((m) => {
    const format = [`${m.head} %s`, ...m.fields.map((f) => `${f}=%s`)].join(" ");
    if (!/^[@ a-z%=-]+$/.test(format)) throw new Error(`not a plain marker: ${format}`);
    // "${10}", not "$10" (which bash reads as "$1" then "0").
    const args = [m.head, ...m.fields].map((_, i) => `"\${${i + 1}}"`).join(" ");
    return `${m.bashFunction}() { printf '${format}\\n' ${args}; }`;
  }),
  "",
].join("\n");

/** The variables a step's environment hands its scripts, with who writes and who reads each. */
export const envNames = {
  /** How many trials, one after another. run.ts (trialEnvironment) writes; runner.sh reads. */
  trials: "VTB_TRIALS",
  /** Seconds each trial may take. run.ts (trialEnvironment) writes; runner.sh reads. */
  trialTimeout: "VTB_TRIAL_TIMEOUT",
  /** The benchmark's script: one trial. run.ts (trialEnvironment) writes; runner.sh runs it. */
  benchScript: "VTB_BENCH_SCRIPT",
  /** The runner's text, for a step that hands it to a shell in a target. runnerHandOver (run.ts, group.ts) writes; way-in.sh's runner_text reads. */
  runner: "VTB_RUNNER",
  /** The names, space-separated, of the only variables runner_text exports into the target: the trial's environment. runnerHandOver writes; runner_text reads. */
  runnerEnv: "VTB_RUNNER_ENV",
  /** The first trial's number (an interleaved round's). interleave.sh writes; runner.sh reads. */
  trialFirst: "VTB_TRIAL_FIRST",
  /** How many guests a concurrent group has (its ways are VTB_G0 ...). group.ts writes; units.sh reads. */
  groupSize: "VTB_GROUP_SIZE",
  /** An interleaved run's round, from 1. The Command's rounds (command-provider.ts) write; interleave.sh reads. */
  round: "VTB_ROUND",
  /** The units' order in this round, e.g. "2 0 1". The Command's rounds write; interleave.sh reads. */
  roundOrder: "VTB_ROUND_ORDER",
  /**
   * Unit U's variables are VTB_U<U>_<name>: its KIND (run, pair or group), the
   * TARGETS its sections are numbered by, the guests to KEEP running (VTB_Q
   * indices), its ways (IN, SERVER, CLIENT, G<i>), and for a pair its
   * PAIR_SERVER_* and the trial's EXPORTS. interleaved.ts writes; interleave.sh reads.
   */
  unit: "VTB_U",
  /** A pair unit's trial variables as `export` lines (its client's server address). interleaved.ts writes (VTB_U<U>_EXPORTS); interleave.sh reads. */
  unitExports: "VTB_EXPORTS",
  /** How many guests the server has that a unit's turn may pause (VTB_Q0 ...). interleaved.ts writes; interleave.sh reads. */
  quiet: "VTB_QUIET",
  /** Guest K that a turn may pause: VTB_Q<K>_VIA (lxc, libvirt, xen, openvz), _NAME, _LXCPATH, _LABEL. interleaved.ts writes; interleave.sh reads. */
  quietGuest: "VTB_Q",
  /** "1": the other guests keep running (a measurement under load). interleaved.ts writes; interleave.sh reads. */
  background: "VTB_BACKGROUND",
  /** "1": bare metal on the plain kernel (before a reboot into Xen); a round in dom0 is refused. interleaved.ts writes; interleave.sh reads. */
  plainKernel: "VTB_PLAIN_KERNEL",
  /** Other work on the host, in CPUs' worth, below which a turn starts at once (BUSY_CPUS). interleaved.ts writes; interleave.sh reads. */
  quietBelow: "VTB_QUIET_BELOW",
  /** Seconds a turn waits for the host to get under VTB_QUIET_BELOW before it starts anyway. interleaved.ts writes; interleave.sh reads. */
  quietWait: "VTB_QUIET_WAIT",
  /** Seconds a turn waits for another stack's turn on the server to end before it is not run. interleaved.ts writes; interleave.sh reads. */
  measureWait: "VTB_MEASURE_WAIT",
  /** A pair's server script, started in the server's target. run.ts writes; pair.sh reads. */
  pairServerScript: "VTB_PAIR_SERVER_SCRIPT",
  /** `export` lines of the pair server's environment (exportLines), sent in with its script. run.ts writes; pair.sh reads. */
  pairServerExports: "VTB_PAIR_SERVER_EXPORTS",
  /** Who a pair's server belongs to (pairServerExports): its shell is named for it. pairing.ts writes; benchmarks/listen.sh reads, in the target. */
  serveOwner: "VTB_SERVE_OWNER",
  /** Seconds an SSH way in waits for the target to answer at all. units.sh sets it (pair_stop); way-in.sh reads. */
  wayTimeout: "VTB_WAY_TIMEOUT",
} as const;

/** The scripts of this folder that read each of `envNames` (checked against the .sh files by a unit test). */
export const envReaders: Record<keyof typeof envNames, readonly string[]> = {
  trials: ["runner.sh", "interleave.sh"],
  trialTimeout: ["runner.sh"],
  benchScript: ["runner.sh"],
  trialFirst: ["runner.sh", "interleave.sh"],
  runner: ["way-in.sh"],
  runnerEnv: ["way-in.sh"],
  groupSize: ["units.sh"],
  round: ["interleave.sh"],
  roundOrder: ["interleave.sh"],
  unit: ["interleave.sh"],
  unitExports: ["interleave.sh"],
  quiet: ["interleave.sh"],
  quietGuest: ["interleave.sh"],
  background: ["interleave.sh"],
  plainKernel: ["interleave.sh"],
  quietBelow: ["interleave.sh"],
  quietWait: ["interleave.sh"],
  measureWait: ["interleave.sh"],
  pairServerScript: ["units.sh"],
  pairServerExports: ["units.sh"],
  serveOwner: [], // benchmarks/listen.sh, not a script of this folder
  wayTimeout: ["way-in.sh", "units.sh"],
};

/**
 * The ways into a target, by the prefix of their variables: wayEnv(prefix, way)
 * (way-in.ts) writes `<prefix>_<field>` (wayFields), `way_in PREFIX` (way-in.sh)
 * reads them. They stay on the physical server: runner_text exports none.
 */
export const wayPrefixes = {
  /** The container a run enters. run.ts writes; enter.sh goes in. */
  container: "VTB_IN",
  /** Where a pair's server runs. run.ts writes; pair.sh starts and stops the server there. */
  pairServer: "VTB_SERVER",
  /** Where a pair's client runs its trials. run.ts writes; pair.sh runs the runner there. */
  pairClient: "VTB_CLIENT",
  /** Guest I of a concurrent group, as VTB_G<I> (groupGuestWay). group.ts writes; group.sh goes into each. */
  groupGuest: "VTB_G",
} as const;

/** The scripts of this folder that go in by each of `wayPrefixes` (checked by a unit test). */
export const wayReaders: Record<keyof typeof wayPrefixes, readonly string[]> = {
  container: ["units.sh"],
  pairServer: ["units.sh"],
  pairClient: ["units.sh"],
  groupGuest: ["units.sh"],
};

/** The way into guest `i` of a concurrent group. */
export const groupGuestWay = (i: number) => `${wayPrefixes.groupGuest}${i}`;

/** A way's fields, each the variable `<prefix>_<field>`: wayEnv (way-in.ts) writes them; way_in (way-in.sh) reads them. */
export const wayFields = {
  /** host, netns, lxc, openvz or ssh. */
  via: "VIA",
  /** The network namespace, the LXC container's name or the OpenVZ CTID. */
  name: "NAME",
  /** The LXC container's lxcpath. */
  lxcpath: "LXCPATH",
  sshHost: "SSH_HOST",
  sshPort: "SSH_PORT",
  sshUser: "SSH_USER",
  /** The private key, a secret: it never leaves the physical server. */
  sshKey: "SSH_KEY",
} as const;

/** The name of a way's field: `wayVariable("VTB_IN", wayFields.via)` is VTB_IN_VIA. */
export const wayVariable = (prefix: string, field: string) => `${prefix}_${field}`;

/** A way's SSH key, whatever the way's prefix. */
export const isWayKey = (name: string) => name.endsWith(`_${wayFields.sshKey}`);

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * What a step that hands the runner to a shell in a target (`runner_text |
 * way_in`) adds to its environment: the runner, and the list of the only
 * variables runner_text exports into the target, the names of `trial` (the
 * benchmark's variables and the runner's knobs: trialEnvironment). A way's
 * variable is never one of them: a name of `ways`, any `<prefix>_SSH_KEY` or
 * the hand-over's own is refused (and runner_text refuses a key again).
 */
export function runnerHandOver(
  runner: string,
  trial: Record<string, unknown>,
  ways: Record<string, unknown>,
): Record<string, string> {
  const names = Object.keys(trial);
  for (const n of names) {
    if (!variableName.test(n)) {
      throw new Error(`not a variable name, for the runner's environment: ${JSON.stringify(n)}`);
    }
    if (Object.prototype.hasOwnProperty.call(ways, n) || isWayKey(n)) {
      throw new Error(`${n} is a way's variable: it stays on the physical server`);
    }
    if (n === envNames.runner || n === envNames.runnerEnv) {
      throw new Error(`${n} is the hand-over's own variable, not the runner's`);
    }
  }
  return { [envNames.runner]: runner, [envNames.runnerEnv]: names.join(" ") };
}
