import { expect, test } from "@playwright/test";

// A user who leaves the modal open past the token's lifetime (30 s in this suite) gets the
// server's refusal in words, and the host hears `token_expired` through onError.
test("an expired session is explained and reported as token_expired", async ({ page }) => {
  test.setTimeout(75_000);
  await page.goto("/");
  await page.getByTestId("connect").click();
  const frame = page.frameLocator("iframe[data-portico-modal]");
  await frame.locator('[data-platform="mock"]').click();
  await frame.getByTestId("field-apiKey").fill("mock_demo_key_2026");
  await page.waitForTimeout(31_000); // the real token expires on the real server
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("fatal-error")).toContainText("This session has expired");
  await expect(frame.getByTestId("fatal-error")).toHaveAttribute("data-code", "token_expired");
  await expect(page.getByTestId("status")).toContainText("Error (token_expired)");
});
