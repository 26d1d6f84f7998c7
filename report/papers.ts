/**
 * The figures the two papers state in their text, kept with their source, and
 * found beside a run's own comparisons: "paper: Xen-para 2.02% loss — this
 * run: …" in one row (report/document.ts). Only what the papers say in
 * numbers; their charts give none.
 */
import { z } from "zod";
import type { Run } from "./load";
import type { LossTable } from "./tables";
import type { Judgement } from "./verdict";

export const paperIds = ["naples2006", "cnaf2009"] as const;

export const papers: Record<(typeof paperIds)[number], { title: string; stack: string }> = {
  naples2006: {
    title:
      "Taurino, Tortone, Fasanelli: Xen and OpenVirtuozzo, two different approaches to server and services virtualization (2006; dual Pentium III 800)",
    stack: "Pulumi.naples2006.yaml",
  },
  cnaf2009: {
    title:
      "Chierici, Veraldi (INFN-CNAF): A comparison between xen and kvm (2009; dual Xeon E5420 blade)",
    stack: "Pulumi.cnaf2009.yaml",
  },
};

export const publishedFigureSchema = z
  .object({
    paper: z.enum(paperIds),
    /** Where in the paper: its section or slide. */
    where: z.string().min(1),
    /** The paper's own words, as printed. */
    quote: z.string().min(1),
    /** The benchmark of this project that measures what the paper measured (its headline metric). */
    benchmark: z.string().min(1),
    platform: z.enum(["kvm", "xen", "openvz", "vmware"]),
    /** Xen guests: para or hvm. */
    mode: z.enum(["para", "hvm"]).optional(),
    /** How the paper ran it: "8 VMs at once", "1 guest". */
    setting: z.string().min(1),
    /** Beside which of the run's rows: one guest's, or N guests at once as one (their aggregate). */
    guests: z.number().int().min(1),
    /** The figure as % of bare metal (100 = the same; below 100 slower). */
    percentOfBareMetal: z.number().positive(),
    /** The paper gives a bound, not a value ("over 12% faster"). */
    bound: z.enum(["over", "under"]).optional(),
  })
  .strict();
export type PublishedFigure = z.infer<typeof publishedFigureSchema>;

// Transcribed from the papers (../shared/seeds): loss and "x% slower" as
// 100 - x, "x% faster" as 100 + x.
export const published: PublishedFigure[] = z.array(publishedFigureSchema).parse([
  ...(
    [
      ["kvm", undefined, "E5420kvm 3,42", 3.42],
      ["xen", "hvm", "E5420xen-hvm 4,55", 4.55],
      ["xen", "para", "E5420xen-para 2,02", 2.02],
    ] as const
  ).map(([platform, mode, quote, loss]) => ({
    paper: "cnaf2009",
    where: 'slide "Benchmarks: HEP-Spec06", table "% loss from non emulated CPU (E5420, 8vm)"',
    quote,
    benchmark: "hepspec06",
    platform,
    ...(mode ? { mode } : {}),
    // The table follows "8VMs aggregate vs. CPUs": the 8 VMs together against the 8-core host.
    setting: "8 VMs at once (their aggregate), 1 vCPU and 2 GB each, HEP-SPEC06 v1.1",
    guests: 8,
    percentOfBareMetal: 100 - loss,
  })),
  // Xen 3.0.1 on a Pentium III (no VT-x): para guests.
  ...(
    [
      ["vmware", undefined, "VMware guest is 57% slower than the host machine", 43, undefined],
      ["openvz", undefined, "OpenVZ guest is 25% faster (!!!)", 125, undefined],
      ["xen", "para", "Xen guest is only 2.5% slower", 97.5, undefined],
    ] as const
  ).map(([platform, mode, quote, percent, bound]) => ({
    paper: "naples2006",
    where: 'section "Some results", UnixBench',
    quote,
    benchmark: "unixbench",
    platform,
    ...(mode ? { mode } : {}),
    setting: "1 guest, Scientific Linux 4.2",
    guests: 1,
    percentOfBareMetal: percent,
    ...(bound ? { bound } : {}),
  })),
  ...(
    [
      [
        "openvz",
        undefined,
        "the OpenVZ guest is over 12% faster than the host machine with the stock kernel",
        112,
        "over",
      ],
      ["vmware", undefined, "VMware and Xen are 70% and 32% slower", 30, undefined],
      ["xen", "para", "VMware and Xen are 70% and 32% slower", 68, undefined],
    ] as const
  ).map(([platform, mode, quote, percent, bound]) => ({
    paper: "naples2006",
    where: 'section "Some results", Apache benchmark (ab)',
    quote,
    benchmark: "ab",
    platform,
    ...(mode ? { mode } : {}),
    setting: "1 guest, Scientific Linux 4.2",
    guests: 1,
    percentOfBareMetal: percent,
    ...(bound ? { bound } : {}),
  })),
]);

/** One of the run's comparisons a published figure is beside. */
export interface Beside {
  server: string;
  /** "xen/vtb-cnaf2009-para-0", "kvm: 8 guests at once, aggregate". */
  label: string;
  percent: number;
  judgement?: Judgement;
}

export interface PaperRow {
  figure: PublishedFigure;
  /** The run's comparisons of that benchmark's headline on that platform (and Xen mode). */
  beside: Beside[];
}

/** A Xen guest's mode, as the run's testbed output recorded it. */
export function modeOf(
  run: Pick<Run, "testbed">,
  server: string,
  guest: string,
): string | undefined {
  const guests = run.testbed?.[server]?.platforms?.xen?.guests ?? [];
  const g = guests.find((x) => x.name === guest);
  return typeof g?.mode === "string" ? g.mode : undefined;
}

/**
 * Every published figure of a benchmark the run measured on that kind of
 * platform, with the run's comparisons of the benchmark's headline there;
 * none beside a Xen figure when no guest has its mode (said in the report).
 */
export function paperRows(run: Pick<Run, "testbed">, losses: LossTable[]): PaperRow[] {
  // A figure of a benchmark the run measured on a kind of platform it has.
  const measured = new Set(
    losses.flatMap((l) => l.rows.map((r) => `${l.benchmark} ${r.platform}`)),
  );
  return published
    .filter((f) => measured.has(`${f.benchmark} ${f.platform}`))
    .map((figure) => ({
      figure,
      beside: losses
        .filter((l) => l.benchmark === figure.benchmark)
        .flatMap((l) =>
          l.rows
            .filter(
              (r) =>
                r.platform === figure.platform &&
                r.comparison !== undefined &&
                // One guest's row beside a one-guest figure; N guests at once as one beside an N-guest one.
                (figure.guests === 1
                  ? r.members.length === 1
                  : r.concurrent && r.members.length === figure.guests) &&
                // A guest of another Xen mode is not this figure's (an aggregate's mode is its
                // guests'); a run that did not record modes is shown, saying so.
                (figure.mode === undefined ||
                  r.members.every(
                    (g) => (modeOf(run, l.server, g) ?? figure.mode) === figure.mode,
                  )),
            )
            .map((r) => ({
              server: l.server,
              label:
                figure.mode && r.members.some((g) => modeOf(run, l.server, g) === undefined)
                  ? `${r.label} (its mode not recorded in this run)`
                  : r.label,
              percent: r.comparison!.percentOfBaseline,
              judgement: r.judgement,
            })),
        ),
    }));
}
