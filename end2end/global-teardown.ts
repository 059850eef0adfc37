import * as fs from "node:fs";
import * as path from "node:path";

// Data directories of earlier runs are kept for one run (to inspect a failure), then removed.
export default async function globalTeardown() {
  const state = path.join(__dirname, ".state");
  const entries = fs.readdirSync(state);
  for (const prefix of ["data-", "portico-"]) {
    const runs = entries.filter((name) => name.startsWith(prefix)).sort();
    for (const old of runs.slice(0, -1)) {
      fs.rmSync(path.join(state, old), { recursive: true, force: true });
    }
  }
}
