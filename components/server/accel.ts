import * as fs from "fs";
import * as path from "path";
import { z } from "zod";

/** Boots a kernel under KVM and TCG; parsed by parseAccelProbe. */
export const accelProbeScript = fs.readFileSync(path.join(__dirname, "accel-probe.sh"), "utf8");

const trialSchema = z.object({
  result: z.enum(["boots", "hang", "error", "unavailable"]),
  seconds: z.number().min(0),
  serialLines: z.number().int().min(0),
  detail: z.string(),
});
export const accelProbeSchema = z.object({
  kvm: trialSchema,
  tcg: trialSchema,
  /** What full-virtualization guests on this server will use. */
  accel: z.enum(["kvm", "tcg", "none"]),
});
export type AccelProbe = z.infer<typeof accelProbeSchema>;

const line = /^(kvm|tcg) result=(\w+) seconds=([\d.]+) serial=(\d+) detail=(.*)$/;

/** Parses accel-probe.sh output; KVM is chosen only if a KVM guest actually booted. */
export function parseAccelProbe(raw: string): AccelProbe {
  const trials: Record<string, unknown> = {};
  for (const l of raw.split("\n")) {
    const m = line.exec(l.trim());
    if (m) {
      trials[m[1]] = {
        result: m[2],
        seconds: parseFloat(m[3]),
        serialLines: parseInt(m[4], 10),
        detail: m[5],
      };
    }
  }
  for (const accel of ["kvm", "tcg"]) {
    if (!(accel in trials)) throw new Error(`accel probe: no ${accel} line in the output`);
  }
  const kvm = trialSchema.safeParse(trials.kvm);
  const tcg = trialSchema.safeParse(trials.tcg);
  if (!kvm.success) throw new Error(`accel probe: kvm: ${kvm.error.issues[0].message}`);
  if (!tcg.success) throw new Error(`accel probe: tcg: ${tcg.error.issues[0].message}`);
  const accel = kvm.data.result === "boots" ? "kvm" : tcg.data.result === "boots" ? "tcg" : "none";
  return { kvm: kvm.data, tcg: tcg.data, accel };
}
