import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { DATA_DIR, LOG_FILE, PORTICO } from "../playwright.config";

// Runs last (files run in name order with one worker): after every other flow of this run, no
// secret appears in clear in Portico's log output, its database files, or any answer Portico
// sent the browser that is not meant to carry it.

const SECRET_PATTERNS: [string, RegExp][] = [
  ["secret key", /sk_(test|live)_[A-Za-z0-9]{43}/],
  ["AuthKit token", /akt_(test|live)_[A-Za-z0-9]{43}/],
  ["connect-link code", /lnk_[A-Za-z0-9]{43}/],
  ["the mock API key", /mock_demo_key_2026/],
  ["a refused API key", /mock_wrong_key_0000/],
  ["an OAuth access token", /mat_[0-9a-f]{32,}/],
  ["an OAuth refresh token", /mrt_[0-9a-f]{32,}/],
  ["the OAuth client secret", /mock_secret_demo_2026/],
  // dashboard.spec.ts (which runs before this file): a session, an operator's password, the
  // OAuth client secret saved through the dashboard.
  ["a dashboard session token", /ops_[A-Za-z0-9]{43}/],
  ["an operator's password", /an e2e operator password/],
  ["a client secret saved in the dashboard", /e2e-oauth-client-secret-9d3c/],
];

// Secrets the suite knows in clear: also searched base64-encoded (at each of the three byte
// alignments a secret can have inside a longer encoded value) and URL-encoded.
const LITERAL_SECRETS = [
  "mock_demo_key_2026",
  "mock_wrong_key_0000",
  "mock_secret_demo_2026",
  "an e2e operator password",
  "e2e-oauth-client-secret-9d3c",
];

function encodings(secret: string): string[] {
  const forms = [encodeURIComponent(secret), secret.replace(/ /g, "+")];
  for (const shift of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)]).toString("base64");
    // Keep only the characters that depend on the secret's bytes alone.
    const inner = encoded.slice(Math.ceil((shift * 4) / 3) + 1, Math.floor((shift + secret.length) / 3) * 4 - 1);
    forms.push(inner, inner.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return [...new Set(forms)].filter((f) => f.length >= 12 && f !== secret);
}

function expectNoEncodedSecret(haystack: string, where: string) {
  for (const secret of LITERAL_SECRETS) {
    for (const form of encodings(secret)) {
      expect(haystack.includes(form), `${secret} (encoded as ${form}) in ${where}`).toBe(false);
    }
  }
}

test("the encoded forms searched are the ones a leak would produce", () => {
  const leak = `token=${Buffer.from("xx" + "mock_demo_key_2026" + "yy").toString("base64")}`;
  expect(() => expectNoEncodedSecret(leak, "a planted leak")).toThrow();
  expect(() => expectNoEncodedSecret(`q=${encodeURIComponent("an e2e operator password")}`, "a URL")).toThrow();
});

test("no secret reaches the log, the database or a listing", async ({ page }) => {
  // One more full connection, recording every answer Portico sends the browser.
  const answers: { url: string; body: string }[] = [];
  page.on("response", async (response) => {
    if (!response.url().startsWith(PORTICO) || response.request().resourceType() !== "fetch") return;
    answers.push({ url: response.url(), body: await response.text().catch(() => "") });
  });
  await page.goto("/?user=demo-user-2");
  await page.getByTestId("connect").click();
  const frame = page.frameLocator("iframe[data-portico-modal]");
  await frame.locator('[data-platform="mock"]').click();
  await frame.getByTestId("field-apiKey").fill("mock_wrong_key_0000");
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("form-error")).toBeVisible();
  await frame.getByTestId("field-apiKey").fill("mock_demo_key_2026");
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("success")).toBeVisible();
  const listing = await page.request.get("/api/connections?user=demo-user-2");
  answers.push({ url: "host listing via Portico", body: await listing.text() });

  // The answers the modal got: the session and the created connection, never a credential.
  expect(answers.length).toBeGreaterThanOrEqual(2);
  for (const { url, body } of answers) {
    for (const [what, pattern] of SECRET_PATTERNS) {
      expect(pattern.test(body), `${what} in the answer from ${url}`).toBe(false);
    }
    expectNoEncodedSecret(body, `the answer from ${url}`);
  }

  // Everything Portico logged during this run (the suite's server writes its output here).
  const raw = fs.readFileSync(LOG_FILE, "utf8");
  expect(raw).toContain("connection created"); // the scan reads the real log
  // The demo's banner tells the user which mock key to paste: that one line is instructions,
  // printed once; any other occurrence of the key is a leak.
  const banner = /^.*paste the API key mock_demo_key_2026.*$/gm;
  expect(raw.match(banner)?.length).toBe(1);
  const log = raw.replace(banner, "");
  for (const [what, pattern] of SECRET_PATTERNS) {
    const found = log.match(pattern);
    expect(found, `${what} in the log: ${found?.[0]}`).toBeNull();
  }
  expectNoEncodedSecret(log, "the log");

  // Every byte of the database files.
  const files = fs.readdirSync(DATA_DIR).filter((f) => f.startsWith("portico.db"));
  const bytes = Buffer.concat(files.map((f) => fs.readFileSync(path.join(DATA_DIR, f))));
  const text = bytes.toString("latin1");
  expect(text).toContain("test::mock::default::"); // the scan sees stored rows
  expect(text).toContain("test::mock-oauth::default::"); // including OAuth connections (oauth.spec ran first)
  for (const [what, pattern] of SECRET_PATTERNS) {
    expect(pattern.test(text), `${what} in the database files`).toBe(false);
  }
  expectNoEncodedSecret(text, "the database files");
});
