import * as fs from "fs";
import * as path from "path";

/** The text of a script kept beside the component that runs it. */
export function script(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), "utf8");
}

const packageName = /^[a-z0-9][a-z0-9+.-]+$/;

/** Validates Debian package names before they reach a script's environment. */
export function packageList(names: readonly string[]): string {
  for (const n of names) {
    if (!packageName.test(n)) throw new Error(`not a Debian package name: ${JSON.stringify(n)}`);
  }
  return names.join(" ");
}
