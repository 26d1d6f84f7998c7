/**
 * The papers' tables in their own form, from a run: per benchmark's headline
 * and kind of platform (Xen by mode), the guest against bare metal as it ran
 * alone ("1 VM"), each of N guests that ran at once ("8 VMs, single") and
 * those N as one ("8 VMs, aggregate", the 2009 paper's "% loss ... 8vm" and
 * "8VMs aggregate vs. CPUs"). The 2006 paper's guest-against-host comparisons
 * are the "1 VM" column. A kind measured on several servers (the paper stacks
 * give each configuration a blade of its own) is one row. Pure: the report's
 * loss tables (./tables.ts) pivoted.
 */
import { modeOf } from "./papers";
import type { Run } from "./load";
import type { LossRow, LossTable } from "./tables";
import type { Judgement } from "./verdict";

/** One comparison of a cell: a guest, or N guests as one, against its server's bare metal. */
export interface FormEntry {
  server: string;
  percent: number;
  judgement?: Judgement;
}

/** N guests that ran at once, each against bare metal: their spread, not one interval. */
export interface FormSpread {
  server: string;
  guests: number;
  mean: number;
  min: number;
  max: number;
}

export interface FormRow {
  /** "kvm", "xen para", "lxc". */
  kind: string;
  /** A guest that ran alone (or guests one after another, each alone). */
  alone: FormEntry[];
  /** Each of N guests that ran at once. */
  single: FormSpread[];
  /** N guests that ran at once, as one. */
  aggregate: (FormEntry & { guests: number })[];
}

export interface FormTable {
  benchmark: string;
  /** The headline metric's key and unit. */
  key: string;
  unit: string;
  rows: FormRow[];
}

/** "xen para" when every guest of the row has that mode, else the platform. */
function kindOf(run: Pick<Run, "testbed">, server: string, r: LossRow): string {
  const modes = new Set(r.members.map((g) => modeOf(run, server, g)));
  const [mode] = [...modes];
  return r.platform === "xen" && modes.size === 1 && mode !== undefined
    ? `xen ${mode}`
    : r.platform;
}

/**
 * Every benchmark's headline against bare metal in the papers' form, or none
 * when the run has neither several servers nor guests that ran at once: the
 * loss table then says it all.
 */
export function paperForm(run: Pick<Run, "testbed" | "results">, losses: LossTable[]): FormTable[] {
  const multi = Object.keys(run.results).length > 1;
  if (!multi && !losses.some((l) => l.rows.some((r) => r.concurrent))) return [];
  const tables = new Map<string, FormTable>();
  for (const l of losses) {
    const id = `${l.benchmark} ${l.key}`;
    const t = tables.get(id) ?? { benchmark: l.benchmark, key: l.key, unit: l.unit, rows: [] };
    tables.set(id, t);
    const rowOf = (kind: string): FormRow => {
      let row = t.rows.find((x) => x.kind === kind);
      if (!row) {
        row = { kind, alone: [], single: [], aggregate: [] };
        t.rows.push(row);
      }
      return row;
    };
    const together = l.rows.filter((r) => r.concurrent);
    for (const a of together) {
      const row = rowOf(kindOf(run, l.server, a));
      if (a.comparison) {
        row.aggregate.push({
          server: l.server,
          percent: a.comparison.percentOfBaseline,
          judgement: a.judgement,
          guests: a.members.length,
        });
      }
      const each = l.rows
        .filter(
          (r) =>
            !r.concurrent &&
            r.platform === a.platform &&
            r.members.length === 1 &&
            a.members.includes(r.members[0]),
        )
        .flatMap((r) => (r.comparison ? [r.comparison.percentOfBaseline] : []));
      if (each.length > 0) {
        row.single.push({
          server: l.server,
          guests: a.members.length,
          mean: each.reduce((x, y) => x + y, 0) / each.length,
          min: Math.min(...each),
          max: Math.max(...each),
        });
      }
    }
    const inGroup = new Set(together.flatMap((a) => a.members.map((g) => `${a.platform}/${g}`)));
    for (const r of l.rows) {
      if (r.concurrent || r.members.length !== 1 || r.platform === "baseline") continue;
      if (inGroup.has(`${r.platform}/${r.members[0]}`) || !r.comparison) continue;
      rowOf(kindOf(run, l.server, r)).alone.push({
        server: l.server,
        percent: r.comparison.percentOfBaseline,
        judgement: r.judgement,
      });
    }
  }
  return [...tables.values()].filter((t) => t.rows.length > 0);
}
