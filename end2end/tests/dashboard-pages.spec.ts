import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DATA_DIR, HOST, PORTICO, PORTICO_BIN } from "../playwright.config";

// A workspace's pages after set-up: a secret key created in the dashboard works against the API
// and, revoked from the keyboard, is refused at once; an origin is added (an invalid one refused
// in words) and removed; a connection made through the demo host's modal is found, shown and
// deleted; the event log shows all of it with who did it. Every page has zero axe-core
// violations and fits a tablet's width.

const EMAIL = `e2e-pages-${Date.now()}@example.com`;
const PASSWORD = "an e2e operator password";
const GOOD_KEY = "mock_demo_key_2026";
// The demo host signs in only its own users; other specs connect them too.
const USER = "demo-user-2";

function workspaceId(): string {
  return JSON.parse(fs.readFileSync(path.join(DATA_DIR, "demo.json"), "utf8")).workspaceId;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  execFileSync(
    PORTICO_BIN,
    ["operator", "create", "--email", EMAIL, "--workspace", workspaceId(), "--role", "owner", "--json"],
    {
      input: `${PASSWORD}\n`,
      env: { ...process.env, DATABASE_URL: `sqlite://${path.join(DATA_DIR, "portico.db")}?mode=rwc` },
    },
  );
});

async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const found = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(found).toEqual([]);
}

async function signIn(page: Page) {
  await page.goto(`${PORTICO}/sign-in`);
  await page.locator("#email").fill(EMAIL);
  await page.locator("#password").fill(PASSWORD);
  await page.locator("#password").press("Enter");
  await page.waitForURL(`${PORTICO}/`);
}

/// Opens a workspace page and waits until it has loaded its data in the browser.
async function open(page: Page, section: string, testId: string, query = "?env=test") {
  await page.goto(`${PORTICO}/w/${workspaceId()}/${section}${query}`);
  await expect(page.getByTestId(testId)).toHaveAttribute("data-ready", "true");
}

async function apiStatus(page: Page, secret: string) {
  const response = await page.request.get(`${PORTICO}/v1/vault/connections`, {
    headers: { "x-portico-secret": secret },
  });
  return response.status();
}

test("a key created in the dashboard works, and revoked from the keyboard it is refused at once", async ({ page }) => {
  await signIn(page);
  await page.goto(`${PORTICO}/w/${workspaceId()}/integrations?env=test`);
  await expect(page.getByTestId("catalog")).toHaveAttribute("data-hydrated", "true");
  await page.getByRole("navigation", { name: "Workspace pages" }).getByRole("link", { name: "Secret keys" }).click();
  await expect(page.getByTestId("keys")).toHaveAttribute("data-ready", "true");
  await expectAccessible(page);

  await page.locator("#key-label").fill("e2e backend");
  await page.getByRole("button", { name: "Create a test key" }).click();
  const shown = page.getByTestId("new-key");
  await expect(shown).toContainText("this is the only time Portico shows it");
  await expect(page.locator("#new-key-heading")).toBeFocused();
  const secret = await page.getByTestId("new-key-value").inputValue();
  expect(secret).toMatch(/^sk_test_[A-Za-z0-9]{43}$/);
  await expectAccessible(page);
  expect(await apiStatus(page, secret)).toBe(200);

  await page.getByRole("button", { name: "I have stored it" }).click();
  await expect(shown).toBeHidden();
  const prefix = `${secret.slice(0, 12)}…`;
  const row = page.getByTestId("key-row").filter({ hasText: prefix });
  await expect(row).toContainText("e2e backend");
  await expect(row).toContainText("Active");
  // The list never holds the key itself.
  expect(await page.content()).not.toContain(secret);

  // Revoke from the keyboard: the confirmation takes the focus, Shift+Tab reaches "Revoke key".
  await row.getByRole("button", { name: `Revoke ${prefix}` }).focus();
  await page.keyboard.press("Enter");
  await expect(row.getByTestId("revoke-confirm")).toBeVisible();
  await expect(page.locator("#revoke-cancel")).toBeFocused();
  await expectAccessible(page);
  await page.keyboard.press("Shift+Tab");
  await expect(row.getByRole("button", { name: "Revoke key" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("keys-message")).toContainText(`Revoked ${prefix}`);
  await expect(page.getByTestId("keys-message")).toBeFocused();
  await expect(page.getByTestId("key-row").filter({ hasText: prefix })).toContainText("Revoked");
  expect(await apiStatus(page, secret)).toBe(401);
});

test("an origin is added and listed, an invalid one refused in words, and removed", async ({ page }) => {
  await signIn(page);
  await open(page, "origins", "origins", "");
  await expect(page.getByTestId("origins-explained")).toContainText("frame-ancestors");
  await expect(page.getByTestId("origin-list")).toContainText(HOST);
  await expectAccessible(page);

  await page.locator("#origin-input").fill("app.example.com");
  await page.getByRole("button", { name: "Add origin" }).click();
  await expect(page.getByTestId("origin-error")).toHaveText("Allowed origin `app.example.com` is not an absolute URL.");
  await expect(page.locator("#origin-input")).toHaveAttribute("aria-invalid", "true");
  await expectAccessible(page);

  await page.locator("#origin-input").fill("https://e2e.example:8443");
  await page.getByRole("button", { name: "Add origin" }).click();
  const added = page.locator('[data-origin="https://e2e.example:8443"]');
  await expect(added).toBeVisible();
  await expect(page.getByTestId("origin-error")).toBeEmpty();
  await added.getByRole("button", { name: "Remove https://e2e.example:8443" }).click();
  await expect(added).toHaveCount(0);
  await expect(page.locator("#origins-message")).toHaveText("https://e2e.example:8443 is no longer allowed.");
  // The demo host's own origin is still allowed.
  await expect(page.getByTestId("origin-list")).toContainText(HOST);
});

test("a connection made in the modal is found, shown without credentials and deleted", async ({ page }) => {
  await page.goto(`${HOST}/?user=${USER}`);
  await page.getByTestId("connect").click();
  const frame = page.frameLocator("iframe[data-portico-modal]");
  await frame.locator('[data-platform="mock"]').click();
  await frame.getByTestId("field-apiKey").fill(GOOD_KEY);
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("success")).toContainText("Connected to Mock Provider");
  const key = (await page.getByTestId("status").getAttribute("data-connection-key")) ?? "";
  expect(key).toContain(`|${USER}`);

  await signIn(page);
  await open(page, "connections", "connections");
  await expectAccessible(page);
  await page.getByTestId("identity-search").fill(USER);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("connections-count")).toContainText("connection(s), newest first.");
  await page.getByTestId("platform-filter").selectOption("mock");
  await page.getByTestId("status-filter").selectOption("needs_reauth");
  await expect(page.getByTestId("connections")).toContainText("No connection matches.");
  await page.getByTestId("status-filter").selectOption("active");
  const list = page.getByTestId("connection-list");
  await expect(list.getByRole("link").first()).toHaveText(USER);
  await list.getByRole("link").first().click();

  await expect(page.getByTestId("connection")).toHaveAttribute("data-ready", "true");
  await expect(page.getByTestId("connection")).toContainText(key);
  await expect(page.getByTestId("connection-status")).toHaveText("Active");
  await expect(page.getByTestId("event-list")).toContainText("Connection created");
  expect(await page.content()).not.toContain(GOOD_KEY);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Delete connection" }).click();
  await expect(page.locator("#delete-cancel")).toBeFocused();
  await expectAccessible(page);
  await page.getByRole("button", { name: "Delete for good" }).click();
  await expect(page.getByTestId("deleted-note")).toHaveText("The connection was deleted.");
  await expect(page.getByTestId("connections")).toHaveAttribute("data-ready", "true");
  // The host no longer has it either.
  const host = await page.request.get(`${HOST}/api/connections?user=${USER}`);
  const rows = ((await host.json()) as { rows: { key: string }[] }).rows;
  expect(rows.map((r) => r.key)).not.toContain(key);
});

test("the event log shows what happened and who did it, filtered by type", async ({ page }) => {
  await signIn(page);
  await open(page, "events", "events");
  const list = page.getByTestId("event-list");
  const deleted = list.locator('tr[data-event="connection.deleted"]').filter({ hasText: USER }).first();
  await expect(deleted).toContainText(EMAIL);
  await expect(list.locator('tr[data-event="connection.created"]').filter({ hasText: USER }).first()).toContainText(
    `end user ${USER}`,
  );
  await expect(list.locator('tr[data-event="key.revoked"]').first()).toContainText(EMAIL);
  await expectAccessible(page);
  await page.getByTestId("event-filter").selectOption("key.created");
  await expect(list.locator("tr[data-event]").first()).toHaveAttribute("data-event", "key.created");
  await expect(list.locator('tr[data-event]:not([data-event="key.created"])')).toHaveCount(0);
  await expect(list.locator('tr[data-event="key.created"]').filter({ hasText: "e2e backend" })).toContainText(EMAIL);
});

test("every new page fits a tablet's width", async ({ page }) => {
  await page.setViewportSize({ width: 768, height: 1024 });
  await signIn(page);
  for (const [section, testId, query] of [
    ["keys", "keys", "?env=test"],
    ["origins", "origins", ""],
    ["connections", "connections", "?env=test"],
    ["events", "events", "?env=test"],
  ]) {
    await open(page, section, testId, query);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${section} scrolls sideways`).toBeLessThanOrEqual(0);
    await expectAccessible(page);
  }
});
