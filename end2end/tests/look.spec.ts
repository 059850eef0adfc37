import { expect, test, type Page } from "@playwright/test";

// How the modal looks: a monogram for any logo that does not load, the system's colour scheme by
// default, and a full-screen sheet on a phone.

const FRAME = "iframe[data-portico-modal]";

async function openModal(page: Page, user: string) {
  await page.goto(`/?user=${user}`);
  await page.getByTestId("connect").click();
  const frame = page.frameLocator(FRAME);
  await expect(frame.getByTestId("integrations")).toContainText("Mock Provider");
  return frame;
}

test("a logo that does not load is replaced by the platform's monogram", async ({ page }) => {
  await page.route("**/logos/mock.svg", (route) => route.fulfill({ status: 404, body: "" }));
  const frame = await openModal(page, "monogram-user");
  const item = frame.locator('[data-platform="mock"]');
  await expect(item.getByTestId("monogram")).toHaveText("M");
  await expect(item.locator("img")).toHaveCount(0);
  // No broken image is left anywhere in the list (other platforms may share the missing file).
  await expect(frame.locator('img.pm-logo[src$="/logos/mock.svg"]')).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath("monogram.png") });
});

for (const scheme of ["dark", "light"] as const) {
  test(`without a theme option the modal follows the system's ${scheme} scheme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const frame = await openModal(page, `theme-${scheme}`);
    await expect(frame.locator("html")).toHaveAttribute("data-theme", scheme);
    await page.screenshot({ path: test.info().outputPath(`theme-${scheme}.png`) });
  });
}

test("on a phone the modal is a full-screen sheet and connects", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 667 });
  const frame = await openModal(page, "phone-user");
  const dialog = frame.locator(".pm-dialog");
  const box = await dialog.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.width).toBe(375);
  expect(box!.height).toBe(667);
  await page.screenshot({ path: test.info().outputPath("phone-list.png") });

  await frame.locator('[data-platform="mock"]').click();
  await frame.getByTestId("field-apiKey").fill("mock_demo_key_2026");
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("success")).toContainText("Mock Provider");
  await page.screenshot({ path: test.info().outputPath("phone-success.png") });
});
