import { expect, test, type Page } from "@playwright/test";
import { MOCK, PORTICO } from "../playwright.config";

// The adversarial postMessage suite (issue 16): frames and windows on other origins post
// `portico:*` messages to the loader and to the modal. Every such message is ignored: the loader
// listens only to Portico's origin *and* its own iframe, the modal only to its parent's origin and
// window (session) or its own pop-up on Portico's origin (sign-in results).

const EVIL = "http://evil.test";

/** Serves `script` as a page on the hostile origin; the page posts `done` to its parent after. */
async function hostileFrame(page: Page, script: string) {
  await page.context().route(`${EVIL}/**`, (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><html lang="en"><title>ad</title><script>${script};parent.postMessage("evil-done", "*");</script></html>`,
    }),
  );
  await page.evaluate((src) => {
    return new Promise<void>((resolve) => {
      window.addEventListener("message", (e) => {
        if (e.data === "evil-done") resolve();
      });
      const frame = document.createElement("iframe");
      frame.src = src;
      frame.title = "advertisement";
      document.body.append(frame);
    });
  }, `${EVIL}/frame`);
}

const forgedConnection = {
  id: "conn_forged",
  key: "test::mock::default::forged|demo-user-1",
  platform: "mock",
  identity: "demo-user-1",
  identityType: "user",
  status: "active",
  active: true,
  tags: [],
  createdAt: 0,
  updatedAt: 0,
};

test("the loader ignores portico messages from a frame on another origin", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("connect").click();
  const modal = page.frameLocator("iframe[data-portico-modal]");
  await expect(modal.getByTestId("integrations")).toBeVisible();
  await hostileFrame(
    page,
    `for (const m of [
      { type: "portico:success", connection: ${JSON.stringify(forgedConnection)} },
      { type: "portico:error", code: "forged", message: "forged" },
      { type: "portico:start-sign-in", url: "${PORTICO}/oauth/start", attempt: "att_forged", secret: "s" },
      { type: "portico:close" },
    ]) parent.postMessage(m, "*")`,
  );
  await expect(page.getByTestId("status")).not.toContainText("forged");
  await expect(page.getByTestId("status")).not.toContainText("Connected");
  // The modal is still open, and the page did not move.
  await expect(page.locator("iframe[data-portico-modal]")).toBeVisible();
  await expect(modal.getByTestId("integrations")).toBeVisible();
  expect(page.url()).not.toContain("/oauth/start");
});

test("the modal ignores session and reset messages from a frame that is not its parent", async ({ page }) => {
  const forgedSessions: string[] = [];
  page.on("request", (r) => {
    if ((r.headers()["authorization"] ?? "").includes("forged")) forgedSessions.push(r.url());
  });
  await page.goto("/");
  await page.getByTestId("connect").click();
  const modal = page.frameLocator("iframe[data-portico-modal]");
  await expect(modal.getByTestId("integrations")).toBeVisible();
  // A sibling frame finds the modal's window and talks to it as if it were the host page.
  await hostileFrame(
    page,
    `for (let i = 0; i < parent.frames.length; i++) {
      const w = parent.frames[i];
      w.postMessage({ type: "portico:reset" }, "*");
      w.postMessage({ type: "portico:session", token: "akt_test_forged${"x".repeat(34)}", options: {} }, "*");
    }`,
  );
  await expect(modal.getByTestId("integrations")).toBeVisible();
  await expect(modal.getByTestId("busy")).toHaveCount(0);
  expect(forgedSessions).toEqual([]);
});

test("the modal ignores a sign-in result that does not come from its own pop-up", async ({ page }) => {
  await page.request.post(`${MOCK}/_control/oauth/reset`);
  await page.goto("/?user=pm-user");
  await page.getByTestId("connect").click();
  const modal = page.frameLocator("iframe[data-portico-modal]");
  await modal.locator('[data-platform="mock-oauth"]').click();
  const popupOpened = page.context().waitForEvent("page");
  await modal.getByTestId("oauth-continue").click();
  const popup = await popupOpened;
  await expect(modal.getByTestId("oauth-waiting")).toBeVisible();
  // The host page (its parent, but not Portico's origin) and a hostile frame both claim success.
  const result = { type: "portico:oauth-result", status: "succeeded", connection: forgedConnection };
  await page.evaluate((message) => {
    const frame = document.querySelector<HTMLIFrameElement>("iframe[data-portico-modal]")!;
    frame.contentWindow!.postMessage(message, "*");
  }, result);
  await hostileFrame(page, `parent.frames[0].postMessage(${JSON.stringify(result)}, "*")`);
  await expect(modal.getByTestId("oauth-waiting")).toBeVisible();
  await expect(modal.getByTestId("success")).toHaveCount(0);
  await expect(page.getByTestId("status")).not.toContainText("Connected");
  await modal.getByTestId("oauth-cancel").click();
  await expect.poll(() => popup.isClosed()).toBe(true);
});
