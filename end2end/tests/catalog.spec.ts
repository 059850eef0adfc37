import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CATALOG_DIR, DATA_DIR, MOCK, PORTICO_BIN } from "../playwright.config";

// The modal shows the real catalog (logos, categories, search), and a platform an operator adds
// through PORTICO_CATALOG_DIR works end to end without a rebuild. The operator enables platforms
// with the CLI, against the running demo's database.
function enable(...platforms: string[]) {
  const { workspaceId } = JSON.parse(fs.readFileSync(path.join(DATA_DIR, "demo.json"), "utf8"));
  const out = execFileSync(
    PORTICO_BIN,
    ["integration", "enable", "--workspace", workspaceId, "--environment", "test", ...platforms, "--json"],
    {
      env: {
        ...process.env,
        DATABASE_URL: `sqlite://${path.join(DATA_DIR, "portico.db")}?mode=rwc`,
        PORTICO_CATALOG_DIR: CATALOG_DIR,
        PORTICO_MOCK_PROVIDER_URL: MOCK,
      },
    },
  );
  return JSON.parse(out.toString()).enabled as string[];
}

test.beforeAll(() => {
  const enabled = enable("openai", "anthropic", "stripe", "sendgrid", "acme-crm");
  expect(enabled).toEqual(expect.arrayContaining(["acme-crm", "mock", "openai", "stripe"]));
});

test("the modal lists enabled platforms with logos, categories and search", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("connect").click();
  const frame = page.frameLocator("iframe[data-portico-modal]");
  const list = frame.getByTestId("integrations");
  // The fixture's extra platforms, the API-key mock, its client-credentials and OAuth siblings.
  await expect(list.locator("[data-platform]")).toHaveCount(8);
  await expect(list.locator('[data-platform="mock-oauth"]')).toBeVisible();
  // Every logo is a real image served by Portico.
  const logos = list.locator("img.pm-logo");
  for (let i = 0; i < (await logos.count()); i++) {
    await expect.poll(() => logos.nth(i).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  }
  await frame.getByTestId("search").fill("open");
  await expect(list.locator("[data-platform]")).toHaveCount(1);
  await expect(list.locator('[data-platform="openai"]')).toBeVisible();
  await frame.getByTestId("search").fill("");
  await frame.getByRole("button", { name: "Payments", exact: true }).click();
  await expect(list.locator("[data-platform]")).toHaveCount(1);
  await expect(list.locator('[data-platform="stripe"]')).toBeVisible();
  await frame.getByRole("button", { name: "All", exact: true }).click();
  await expect(list.locator("[data-platform]")).toHaveCount(8);
  // A real platform's form follows its catalog entry.
  await list.locator('[data-platform="openai"]').click();
  await expect(frame.getByTestId("form")).toContainText("Connect OpenAI");
  await expect(frame.getByTestId("field-apiKey")).toHaveAttribute("type", "password");
});

test("a platform added through PORTICO_CATALOG_DIR connects and passes through", async ({ page }) => {
  await page.goto("/?user=demo-user-2");
  await page.getByTestId("connect").click();
  const frame = page.frameLocator("iframe[data-portico-modal]");
  await frame.locator('[data-platform="acme-crm"]').click();
  await frame.getByTestId("field-apiKey").fill("mock_demo_key_2026");
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("success")).toContainText("Connected to Acme CRM");
  await expect(page.getByTestId("status")).toContainText("Connected acme-crm: test::acme-crm::default::");
  await frame.getByTestId("done").click();
  const key = await page.getByTestId("status").getAttribute("data-connection-key");
  await page.locator(`#connections li[data-key="${key}"]`).getByTestId("call").click();
  await expect(page.getByTestId("call-result")).toContainText('"id": "mock-account-1"');
});
