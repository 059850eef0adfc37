import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DATA_DIR, HOST, PORTICO, PORTICO_BIN } from "../playwright.config";

// The operator dashboard: an operator made with the CLI signs in (keyboard only), turns an
// integration off and on and the demo host's modal follows, saves an OAuth app whose secret never
// comes back, and signs out. Every page has zero axe-core violations.

const EMAIL = `e2e-${Date.now()}@example.com`;
const PASSWORD = "an e2e operator password";

function workspaceId(): string {
  return JSON.parse(fs.readFileSync(path.join(DATA_DIR, "demo.json"), "utf8")).workspaceId;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  const out = execFileSync(
    PORTICO_BIN,
    ["operator", "create", "--email", EMAIL, "--workspace", workspaceId(), "--role", "owner", "--json"],
    {
      input: `${PASSWORD}\n`,
      env: { ...process.env, DATABASE_URL: `sqlite://${path.join(DATA_DIR, "portico.db")}?mode=rwc` },
    },
  );
  expect(JSON.parse(out.toString()).email).toBe(EMAIL);
});

async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const found = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(found).toEqual([]);
}

async function signIn(page: Page, password: string) {
  await page.goto(`${PORTICO}/sign-in`);
  await page.locator("#email").focus();
  await page.keyboard.type(EMAIL);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  // Wait for the form's own navigation (to `/`, or back with `?error=`) before the next goto.
  await page.waitForURL((u) => u.pathname !== "/sign-in" || u.search !== "");
}

async function integrationsPage(page: Page, env = "test") {
  await page.goto(`${PORTICO}/w/${workspaceId()}/integrations?env=${env}`);
  await expect(page.getByTestId("catalog")).toHaveAttribute("data-hydrated", "true");
}

async function modalPlatforms(page: Page) {
  await page.goto(`${HOST}/`);
  await page.getByTestId("connect").click();
  const list = page.frameLocator("iframe[data-portico-modal]").getByTestId("integrations");
  await expect(list.locator("[data-platform]").first()).toBeVisible();
  return list;
}

test("an operator created by the CLI signs in; a wrong password is said in words", async ({ page }) => {
  await page.goto(`${PORTICO}/`);
  await expect(page).toHaveURL(/\/sign-in$/);
  await expectAccessible(page);
  await signIn(page, "not the password");
  await expect(page.getByTestId("sign-in-error")).toHaveText("The email or password is wrong.");
  await expectAccessible(page);
  await signIn(page, PASSWORD);
  await expect(page).toHaveURL(`${PORTICO}/`);
  await expect(page.getByTestId("operator-email")).toHaveText(EMAIL);
  await expect(page.getByTestId("workspaces")).toContainText("Demo");
  await expectAccessible(page);
});

test("turning an integration off removes it from the modal; on brings it back", async ({ page }) => {
  await signIn(page, PASSWORD);
  await integrationsPage(page);
  await expectAccessible(page);
  await page.getByTestId("catalog-filter").fill("mock");
  const toggle = page.locator('[data-platform="mock-cc"] [data-testid="enable-toggle"]');
  await expect(toggle).toBeChecked();
  await toggle.focus();
  await page.keyboard.press("Space");
  await expect(page.getByTestId("recent-changes")).toContainText(`Disabled · mock-cc by ${EMAIL}`);
  let list = await modalPlatforms(page);
  await expect(list.locator('[data-platform="mock"]')).toBeVisible();
  await expect(list.locator('[data-platform="mock-cc"]')).toHaveCount(0);

  await integrationsPage(page);
  await page.getByTestId("catalog-filter").fill("mock");
  await expect(toggle).not.toBeChecked();
  await toggle.check();
  await expect(page.getByTestId("recent-changes")).toContainText(`Enabled · mock-cc by ${EMAIL}`);
  list = await modalPlatforms(page);
  await expect(list.locator('[data-platform="mock-cc"]')).toBeVisible();
});

test("an OAuth app's secret is write-only", async ({ page }) => {
  const secret = "e2e-oauth-client-secret-9d3c";
  const answers: string[] = [];
  page.on("response", async (response) => {
    if (response.url().includes("/dashboard/")) answers.push(await response.text().catch(() => ""));
  });
  await signIn(page, PASSWORD);
  // Live, so the test environment's demo app (used by oauth.spec.ts) stays as it is.
  await integrationsPage(page, "live");
  await page.getByTestId("catalog-filter").fill("mock-oauth");
  await page.locator('[data-platform="mock-oauth"]').getByRole("button", { name: "Configure OAuth app" }).click();
  const panel = page.getByTestId("oauth-panel");
  await expect(panel.locator("#oauth-client-id")).toBeVisible();
  await expectAccessible(page);
  await panel.locator("#oauth-client-id").fill("e2e-client");
  await panel.getByTestId("oauth-secret").fill(secret);
  await panel.getByRole("button", { name: "Save" }).click();
  await expect(panel.getByTestId("secret-state")).toContainText("ends in …9d3c");
  await expect(page.locator('[data-platform="mock-oauth"] [data-testid="oauth-status"]')).toHaveText("OAuth app set");
  await integrationsPage(page, "live");
  answers.push(await page.content());
  expect(answers.length).toBeGreaterThan(2);
  for (const answer of answers) expect(answer).not.toContain(secret);
});

test("signing out ends the session", async ({ page }) => {
  await signIn(page, PASSWORD);
  await expect(page.getByTestId("operator-email")).toHaveText(EMAIL);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in\?signed_out=1$/);
  await expect(page.getByRole("status")).toHaveText("You are signed out.");
  await page.goto(`${PORTICO}/w/${workspaceId()}/integrations`);
  await expect(page).toHaveURL(/\/sign-in/);
});

// The API reference renders the OpenAPI document in the browser, every operation included.
test("the API reference lists the operations", async ({ page }) => {
  await page.goto(`${PORTICO}/docs`);
  await expect(page.locator("#main h1")).toHaveText("Portico API");
  await expect(page.locator("#mint_authkit_token h3")).toContainText("POST/v1/authkit/token");
  await expect(page.locator("#passthrough h3").first()).toContainText("/v1/passthrough/{path}");
  await expect(page.locator("#schema-ConnectionView")).toContainText("identityType");
});
