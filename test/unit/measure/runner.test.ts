import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runner } from "../../../components/measure/run";
import { asNobody, nobodyUid, rootOnlyDir } from "../../helpers/hostile";
import { scratchDir } from "../../helpers/scratch";

// runner.sh run for real, as root, after another local user planted files at the
// name it used to keep a trial's stderr in: /tmp/vtb-trial-stderr.<its PID>. The
// runner is exec'ed by the shell that planted them, so that PID is the runner's.
describe("runner.sh and the files another local user plants", () => {
  const trials = (plant: string, victim: string, tmpdir: string) =>
    spawnSync(
      "bash",
      [
        "-c",
        'old="/tmp/vtb-trial-stderr.$$"; echo "$old" >&2; ' +
          'runuser -u nobody -- bash -c "$PLANT" nobody "$old" "$VICTIM" && exec bash -c "$RUNNER"',
      ],
      {
        env: {
          ...process.env,
          PLANT: plant,
          VICTIM: victim,
          RUNNER: runner,
          TMPDIR: tmpdir,
          VTB_TRIALS: "2",
          VTB_TRIAL_TIMEOUT: "30",
          VTB_BENCH_SCRIPT: 'echo "out"; echo "the trial\'s own stderr" >&2; exit 3',
        },
        encoding: "utf8",
      },
    );
  const expected = [1, 2]
    .map((i) => [
      `@@@ trial ${i}`,
      "out",
      `@@@ stderr ${i}`,
      "the trial's own stderr",
      `@@@ end ${i} rc=3`,
    ])
    .flat();
  const shape = (out: string) =>
    out
      .replace(/ seconds=[\d.]+$/gm, "")
      .trimEnd()
      .split("\n");

  // The old name, as the shell printed it.
  const oldName = (r: { stderr: string }) => r.stderr.trim().split("\n").pop()!;

  let safe = "";
  let tmpdir = "";
  let planted = "";
  beforeEach(() => {
    safe = rootOnlyDir("vtb-runner-test-");
    tmpdir = scratchDir("vtb-runner-test-");
  });
  afterEach(() => {
    fs.rmSync(safe, { recursive: true, force: true });
    fs.rmSync(tmpdir, { recursive: true, force: true });
    if (planted) fs.rmSync(planted, { force: true });
    planted = "";
  });

  it("does not write a trial's stderr through a symlink planted at the old name", () => {
    const victim = path.join(safe, "victim");
    fs.writeFileSync(victim, "root's own file\n");
    const r = trials('ln -s "$2" "$1"', victim, tmpdir);
    planted = oldName(r);
    expect(planted).toMatch(/^\/tmp\/vtb-trial-stderr\.\d+$/);
    expect(fs.readlinkSync(planted)).toBe(victim);
    expect(shape(r.stdout)).toEqual(expected);
    expect(fs.readFileSync(victim, "utf8")).toBe("root's own file\n");
  });

  it("neither writes into nor reads from a file planted at the old name", () => {
    const r = trials('printf "planted stderr\\n" >"$1" && chmod 666 "$1"', "", tmpdir);
    planted = oldName(r);
    expect(shape(r.stdout)).toEqual(expected);
    expect(r.stdout).not.toContain("planted");
    expect(fs.statSync(planted).uid).toBe(nobodyUid);
    expect(asNobody('cat "$1"', planted)).toBe("planted stderr\n");
  });

  it("keeps a trial's stderr in a file of its own, removed when it ends", () => {
    const r = trials("true", "", tmpdir);
    expect(shape(r.stdout)).toEqual(expected);
    expect(fs.readdirSync(tmpdir)).toEqual([]);
  });
});
