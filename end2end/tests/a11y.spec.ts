import AxeBuilder from "@axe-core/playwright";
import { expect, test, type FrameLocator, type Page } from "@playwright/test";

// Keyboard and screen readers (WCAG 2.2 AA): a keyboard-only connection with focus checked on
// open, inside the dialog and after closing, and zero axe-core violations on each screen of the
// modal, scanning the modal's own document (the iframe), with a screenshot of each screen kept as
// a test artifact.

const GOOD_KEY = "mock_demo_key_2026";
const FRAME = "iframe[data-portico-modal]";

function modal(page: Page): FrameLocator {
  return page.frameLocator(FRAME);
}

/// axe-core on the modal's document only (the host page is the host's business).
async function expectNoViolations(page: Page, screen: string) {
  const results = await new AxeBuilder({ page }).include(FRAME).analyze();
  const found = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(found, `axe violations on the ${screen} screen`).toEqual([]);
  expect(results.passes.length, `axe checked something on the ${screen} screen`).toBeGreaterThan(0);
  await page.screenshot({ path: test.info().outputPath(`${screen}.png`) });
}

test("a keyboard-only user connects, focus stays in the dialog and returns to the opener", async ({ page }) => {
  await page.goto("/?user=keyboard-user");
  const opener = page.getByTestId("connect");
  await opener.focus();
  await page.keyboard.press("Enter");

  // On open: focus is inside the dialog, on the search box.
  const frame = modal(page);
  await expect(frame.getByTestId("search")).toBeFocused();

  // The list by arrows and Enter.
  await page.keyboard.type("mock provider");
  await page.keyboard.press("ArrowDown");
  await expect(frame.locator('[data-platform="mock"]')).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(frame.getByTestId("field-apiKey")).toBeFocused();

  // The form by keyboard: Enter submits.
  await page.keyboard.type(GOOD_KEY);
  await page.keyboard.press("Enter");
  await expect(frame.getByTestId("success")).toBeVisible();
  await expect(frame.getByTestId("done")).toBeFocused();

  // Tab never leaves the dialog: from its last control it wraps to the first, and back.
  await page.keyboard.press("Tab");
  await expect(frame.getByTestId("close")).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(frame.getByTestId("done")).toBeFocused();

  // Esc closes, and focus is back on the button that opened the modal.
  await page.keyboard.press("Escape");
  await expect(page.locator(FRAME)).toBeHidden();
  await expect(opener).toBeFocused();
});

test("every screen of the modal has zero axe-core violations", async ({ page }) => {
  await page.goto("/?user=axe-user");
  await page.getByTestId("connect").click();
  const frame = modal(page);

  await expect(frame.getByTestId("integrations")).toContainText("Mock Provider");
  await expectNoViolations(page, "list");

  await frame.locator('[data-platform="mock"]').click();
  await frame.getByTestId("field-apiKey").fill("not-a-key");
  await frame.getByTestId("submit").click();
  await expect(frame.getByRole("alert").first()).toBeVisible();
  await expectNoViolations(page, "form");

  await frame.getByTestId("field-apiKey").fill(GOOD_KEY);
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("success")).toBeVisible();
  await expectNoViolations(page, "success");

  await frame.getByTestId("done").click();
  await page.getByTestId("connect").click();
  await frame.locator('[data-platform="mock-oauth"]').click();
  const popupOpened = page.context().waitForEvent("page");
  await frame.getByTestId("oauth-continue").click();
  const popup = await popupOpened;
  await expect(frame.getByTestId("oauth-waiting")).toBeVisible();
  await expectNoViolations(page, "oauth-waiting");
  await popup.close();
  await expect(frame.getByTestId("oauth-error")).toBeVisible();
  await expectNoViolations(page, "oauth-error");
});

test("the error screen has zero axe-core violations", async ({ page }) => {
  await page.route("**/api/portico-token*", (route) =>
    route.fulfill({ status: 500, contentType: "application/json", body: '{"error":{"code":"boom","message":"Down."}}' }),
  );
  await page.goto("/");
  await page.getByTestId("connect").click();
  await expect(modal(page).getByTestId("fatal-error")).toBeVisible();
  await expectNoViolations(page, "error");
});
