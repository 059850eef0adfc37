import { expect, test, type Page } from "@playwright/test";
import { HOST, MOCK, PORTICO } from "../playwright.config";

// Review findings #1 and #2, as a browser lives them: a sign-in start forwarded to another browser
// never reaches the provider's consent page, and a hosted connect link works once (a reload in the
// same tab keeps working; the same link opened anywhere else is refused in words).

const AUTHORIZE_PAGE = /\/oauth\/authorize/;

/** A token and connect link minted by the demo host's backend for `user`. */
async function mint(page: Page, user: string) {
  const response = await page.request.post(`${HOST}/api/portico-token?user=${user}`);
  expect(response.ok(), await response.text()).toBeTruthy();
  return (await response.json()) as { token: string; connectLink: string };
}

test("a forwarded sign-in start never reaches the provider's consent page", async ({ page, browser }) => {
  await page.request.post(`${MOCK}/_control/oauth/reset`);
  // The sender's own modal creates the attempt; its pop-up's start is held back, so the attempt
  // stays unused for the forwarded copies to try.
  await page.context().route(`${PORTICO}/oauth/start`, (route) => route.abort());
  const created = page.waitForResponse((r) => r.url().endsWith("/v1/authkit/oauth/attempts") && r.status() === 201);
  await page.goto("/?user=sender");
  await page.getByTestId("connect").click();
  const frame = page.frameLocator("iframe[data-portico-modal]");
  await frame.locator('[data-platform="mock-oauth"]').click();
  await frame.getByTestId("oauth-continue").click();
  const attempt = (await (await created).json()) as { attemptId: string; startUrl: string; startSecret: string };
  expect(attempt.startUrl).not.toContain(attempt.startSecret);

  // The victim's browser: a fresh context, no cookies, nothing shared with the sender's.
  const victim = await browser.newContext();
  const reachedProvider: string[] = [];
  victim.on("request", (r) => {
    if (AUTHORIZE_PAGE.test(r.url())) reachedProvider.push(r.url());
  });
  const tab = await victim.newPage();
  // 1. The link itself, opened as a link (with the attempt id, as the old links were).
  const opened = await tab.goto(`${attempt.startUrl}?attempt=${attempt.attemptId}`);
  expect(opened!.status()).toBe(400);
  await expect(tab.getByTestId("oauth-outcome")).toContainText("can only be opened from the app that started it");
  // 2. The attempt id and its secret, posted by a page of the attacker's own site.
  await victim.route("http://evil.test/**", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><html lang="en"><title>Win a prize</title><form id="f" method="post" action="${attempt.startUrl}">
        <input name="attempt" value="${attempt.attemptId}"><input name="secret" value="${attempt.startSecret}"></form>
        <script>document.getElementById("f").submit()</script></html>`,
    }),
  );
  await tab.goto("http://evil.test/prize");
  await tab.waitForURL(attempt.startUrl);
  await expect(tab.getByTestId("oauth-outcome")).toContainText("can only be opened from the app that started it");
  expect(reachedProvider).toEqual([]);
  await victim.close();
});

test("a connect link works once: the tab that opened it keeps working, another browser is refused", async ({
  page,
  browser,
}) => {
  const { connectLink } = await mint(page, "link-user");
  await page.goto(connectLink);
  await expect(page.getByTestId("integrations")).toContainText("Mock Provider");
  await page.reload();
  await expect(page.getByTestId("integrations")).toContainText("Mock Provider");

  const other = await browser.newContext();
  const tab = await other.newPage();
  await tab.goto(connectLink);
  await expect(tab.getByTestId("fatal-error")).toContainText("This connect link was already opened");
  await expect(tab.getByTestId("fatal-error")).toHaveAttribute("data-code", "link_used");
  await other.close();
});
