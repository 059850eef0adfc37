import { expect, test } from "@playwright/test";
import { PORTICO } from "../playwright.config";

// The operator dashboard is server-rendered and then hydrated: the catalog is in the first paint,
// and the filter works only once the WASM bundle has taken over the page.
test("the status page lists the catalog and hydrates", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${PORTICO}/`);
  await expect(page.getByTestId("catalog-list")).toContainText("Mock Provider");
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  const count = page.getByTestId("catalog-count");
  const total = Number((await count.textContent())?.match(/of (\d+)/)?.[1]);
  expect(total).toBeGreaterThan(0);
  await page.getByTestId("catalog-filter").fill("zzz-no-such-platform");
  await expect(count).toHaveText(`Showing 0 of ${total} platforms`);
  await page.getByTestId("catalog-filter").fill("mock");
  await expect(count).toHaveText(`Showing 3 of ${total} platforms`); // mock, mock-cc, mock-oauth
  await expect(page.locator('[data-platform="mock"]')).toBeVisible();
  expect(errors).toEqual([]);
});

// The API reference renders the OpenAPI document in the browser, every operation included.
test("the API reference lists the operations", async ({ page }) => {
  await page.goto(`${PORTICO}/docs`);
  await expect(page.locator("#main h1")).toHaveText("Portico API");
  await expect(page.locator("#mint_authkit_token h3")).toContainText("POST/v1/authkit/token");
  await expect(page.locator("#passthrough h3").first()).toContainText("/v1/passthrough/{path}");
  await expect(page.locator("#schema-ConnectionView")).toContainText("identityType");
});
