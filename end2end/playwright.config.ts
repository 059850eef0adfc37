import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";

// One `portico demo` (Portico + mock provider + demo host) on fixed test ports (shifted by
// PORTICO_E2E_PORT_OFFSET, so two checkouts can run the suite at once), with a fresh data
// directory per run. `cargo xtask test` sets PORTICO_BIN and PORTICO_SITE_DIR.
const offset = Number(process.env.PORTICO_E2E_PORT_OFFSET ?? "0");
const PORTICO_PORT = 18080 + offset;
const HOST_PORT = 14000 + offset;
const MOCK_PORT = 14010 + offset;
export const PORTICO = `http://127.0.0.1:${PORTICO_PORT}`;
export const HOST = `http://127.0.0.1:${HOST_PORT}`;
export const MOCK = `http://127.0.0.1:${MOCK_PORT}`;

const root = path.resolve(__dirname, "..");
const state = path.join(__dirname, ".state");
// The runner evaluates this file and so does each worker; workers inherit the runner's
// environment, so the run id set here names the same files everywhere.
process.env.PORTICO_E2E_RUN ??= `${Date.now()}`;
const run = process.env.PORTICO_E2E_RUN;
export const DATA_DIR = path.join(state, `data-${run}`);
export const LOG_FILE = path.join(state, `portico-${run}.log`);
export const PORTICO_BIN = process.env.PORTICO_BIN ?? path.join(path.resolve(__dirname, ".."), "target", "debug", "portico");
export const CATALOG_DIR = path.join(__dirname, "fixtures", "catalog");
fs.mkdirSync(state, { recursive: true });


export default defineConfig({
  testDir: "./tests",
  timeout: 45_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  globalTeardown: "./global-teardown.ts",
  use: {
    baseURL: HOST,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    // The log goes to a file as well, so the secret-scan test can read everything Portico printed.
    command: `sh -c '"$PORTICO_BIN" demo 2>&1 | tee "$PORTICO_E2E_LOG"'`,
    cwd: root,
    url: `${PORTICO}/readyz`,
    reuseExistingServer: false,
    timeout: 120_000,
    // Portico's output is in LOG_FILE (and in the failure report); keep the test output readable.
    stdout: "ignore",
    stderr: "pipe",
    env: {
      PORTICO_BIN,
      PORTICO_E2E_LOG: LOG_FILE,
      PORTICO_LISTEN: `127.0.0.1:${PORTICO_PORT}`,
      PORTICO_PUBLIC_URL: PORTICO,
      PORTICO_DATA_DIR: DATA_DIR,
      PORTICO_SITE_DIR: process.env.PORTICO_SITE_DIR ?? path.join(root, "target", "site"),
      PORTICO_DEMO_HOST_LISTEN: `127.0.0.1:${HOST_PORT}`,
      PORTICO_DEMO_MOCK_LISTEN: `127.0.0.1:${MOCK_PORT}`,
      // Short enough for expiry.spec.ts to watch a real token expire, long enough for every flow.
      PORTICO_TOKEN_TTL_SECS: "30",
      // An operator platform added without a rebuild (catalog.spec.ts).
      PORTICO_CATALOG_DIR: path.join(__dirname, "fixtures", "catalog"),
      PORTICO_LOG: "info",
      PORTICO_LOG_FORMAT: "json",
      PATH: process.env.PATH ?? "",
    },
  },
});
