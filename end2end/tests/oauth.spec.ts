import { expect, test, type FrameLocator, type Page } from "@playwright/test";
import { HOST, MOCK } from "../playwright.config";

// Connecting by OAuth sign-in, as the host app's user lives it: the demo host page (its own
// origin) opens Portico's modal, the modal opens the mock provider's sign-in page in a pop-up (or,
// when pop-ups are blocked, in the same tab), the user approves or declines there, and the outcome
// reaches the modal and the host page's onSuccess / onError. The mock provider is a real OAuth 2.0
// server (PKCE, refresh tokens) steered through its control API.

const NAME = "Mock OAuth Provider";
const AUTHORIZE_PAGE = /\/oauth\/authorize/;

function modal(page: Page): FrameLocator {
  return page.frameLocator("iframe[data-portico-modal]");
}

function keyPattern(user: string) {
  return new RegExp(`^Connected mock-oauth: (test::mock-oauth::default::[0-9a-f]{32}\\|${user})$`);
}

/** Changes the mock provider's behaviour (only the fields given; the rest stay as they are). */
async function steerMock(page: Page, settings: Record<string, unknown>) {
  const response = await page.request.post(`${MOCK}/_control/oauth`, { data: settings });
  expect(response.ok(), await response.text()).toBeTruthy();
}

async function connectionsOf(page: Page, user: string) {
  const response = await page.request.get(`/api/connections?user=${user}`);
  expect(response.ok()).toBeTruthy();
  return (await response.json()) as { total: number; rows: { key: string; platform: string; status: string }[] };
}

/** Opens the modal on the host page as `user` and picks the mock OAuth provider. */
async function openMockOAuth(page: Page, user: string) {
  await page.goto(`/?user=${user}`);
  await page.getByTestId("connect").click();
  const frame = modal(page);
  await expect(frame.getByTestId("integrations")).toContainText(NAME);
  await frame.locator('[data-platform="mock-oauth"]').click();
  return frame;
}

/** Clicks "Continue with …" and returns the sign-in pop-up once it shows the provider's page. */
async function continueInPopup(page: Page, frame: FrameLocator) {
  const popupOpened = page.context().waitForEvent("page");
  await frame.getByTestId("oauth-continue").click();
  const popup = await popupOpened;
  await expect(frame.getByTestId("oauth-waiting")).toContainText(`Waiting for you to finish signing in to ${NAME}`);
  await popup.waitForURL(AUTHORIZE_PAGE);
  return popup;
}

async function callMe(page: Page, key: string) {
  await page.locator(`#connections li[data-key="${key}"]`).getByTestId("call").click();
}

test.beforeEach(async ({ request }) => {
  const response = await request.post(`${MOCK}/_control/oauth/reset`);
  expect(response.ok(), "the mock provider's OAuth control API").toBeTruthy();
});

test("signs in with the provider in a pop-up and calls its API through Portico", async ({ page }) => {
  const user = "demo-user-1";
  const frame = await openMockOAuth(page, user);
  await expect(frame.getByTestId("oauth")).toContainText(`Connect ${NAME}`);
  await expect(frame.getByTestId("oauth")).toContainText(`You will sign in on ${NAME}'s own page`);
  await expect(frame.getByTestId("oauth-continue")).toHaveText(`Continue with ${NAME}`);

  const popup = await continueInPopup(page, frame);
  await popup.locator("#approve").click();

  await expect(frame.getByTestId("success")).toContainText(`Connected to ${NAME}`);
  await expect(page.getByTestId("status")).toHaveText(keyPattern(user));
  const key = (await page.getByTestId("status").getAttribute("data-connection-key"))!;
  await expect(frame.getByTestId("success")).toHaveAttribute("data-connection-key", key);
  // The callback page closes itself once it has told the modal.
  await expect.poll(() => popup.isClosed()).toBe(true);
  expect((await connectionsOf(page, user)).rows.map((r) => r.key)).toContain(key);

  await frame.getByTestId("done").click();
  await expect(page.locator("iframe[data-portico-modal]")).toBeHidden();
  await callMe(page, key);
  await expect(page.getByTestId("call-result")).toContainText('"status": 200');
});

test("declining on the provider's page is explained and reaches onError as access_denied", async ({ page }) => {
  const user = "demo-user-1";
  const before = (await connectionsOf(page, user)).total;
  const frame = await openMockOAuth(page, user);
  const popup = await continueInPopup(page, frame);
  await popup.locator("#deny").click();

  const error = frame.getByTestId("oauth-error");
  await expect(error).toContainText(/declined|denied/);
  await expect(error).toHaveAttribute("data-code", "access_denied");
  await expect(page.getByTestId("status")).toContainText("Error (access_denied)");
  expect((await connectionsOf(page, user)).total).toBe(before);
  // The user can start again from the same screen.
  await expect(frame.getByTestId("oauth-retry")).toBeFocused();
});

test("a blocked pop-up offers to continue in the same window and comes back connected", async ({ page }) => {
  const user = "demo-user-1";
  // Runs in every frame, the modal's included: as if the browser blocked every pop-up.
  await page.addInitScript(() => {
    window.open = () => null;
  });
  const frame = await openMockOAuth(page, user);
  await frame.getByTestId("oauth-continue").click();
  await expect(frame.getByTestId("oauth-blocked")).toContainText("Your browser blocked the sign-in window.");
  await expect(page.getByTestId("status")).toContainText("Error (popup_blocked)");

  await frame.getByTestId("oauth-redirect").click();
  await page.waitForURL(AUTHORIZE_PAGE);
  await page.locator("#approve").click();

  // Back on the host page: the loader reopens the modal and finishes the sign-in.
  await page.waitForURL((url) => url.origin === HOST);
  await expect(page.getByTestId("status")).toHaveText(keyPattern(user));
  await expect(modal(page).getByTestId("success")).toContainText(`Connected to ${NAME}`);
  // The attempt id is gone from the address bar, so a reload does not replay it.
  expect(new URL(page.url()).searchParams.has("portico_attempt")).toBe(false);
  expect(new URL(page.url()).searchParams.get("user")).toBe(user);
  const key = (await page.getByTestId("status").getAttribute("data-connection-key"))!;
  await modal(page).getByTestId("done").click();
  await callMe(page, key);
  await expect(page.getByTestId("call-result")).toContainText('"status": 200');
});

test("closing the sign-in window before finishing is explained and reaches onError as popup_closed", async ({ page }) => {
  const user = "demo-user-1";
  const frame = await openMockOAuth(page, user);
  const popup = await continueInPopup(page, frame);
  await popup.close();

  const error = frame.getByTestId("oauth-error");
  await expect(error).toContainText("The sign-in window was closed before you finished. Try again.");
  await expect(error).toHaveAttribute("data-code", "popup_closed");
  await expect(page.getByTestId("status")).toContainText("Error (popup_closed)");

  // "Try again" opens a fresh window and this time the user finishes.
  const again = page.context().waitForEvent("page");
  await frame.getByTestId("oauth-retry").click();
  const second = await again;
  await second.waitForURL(AUTHORIZE_PAGE);
  await second.locator("#approve").click();
  await expect(frame.getByTestId("success")).toContainText(`Connected to ${NAME}`);
  await expect(page.getByTestId("status")).toHaveText(keyPattern(user));
});

test("a connection whose grant was revoked is reconnected in place, keeping its key", async ({ page }) => {
  test.setTimeout(90_000);
  const user = "demo-user-2";
  // Access tokens that expire almost at once, so the next call must refresh.
  await steerMock(page, { accessTokenTtlSecs: 2 });
  let frame = await openMockOAuth(page, user);
  let popup = await continueInPopup(page, frame);
  await popup.locator("#approve").click();
  await expect(page.getByTestId("status")).toHaveText(keyPattern(user));
  const key = (await page.getByTestId("status").getAttribute("data-connection-key"))!;
  const mockOAuthRows = async () => (await connectionsOf(page, user)).rows.filter((r) => r.platform === "mock-oauth");
  const connected = (await mockOAuthRows()).length;
  await frame.getByTestId("done").click();

  // The user revokes the app at the provider; once the access token has expired, the refresh
  // Portico tries is refused (invalid_grant) and the connection needs the user again.
  const revoked = await page.request.post(`${MOCK}/_control/oauth/revoke-all`);
  expect(revoked.ok()).toBeTruthy();
  await page.waitForTimeout(3_000);
  await callMe(page, key);
  await expect(page.getByTestId("call-result")).toBeVisible();
  await expect(page.getByTestId("call-result")).not.toContainText('"status": 200');
  await expect
    .poll(async () => (await connectionsOf(page, user)).rows.find((r) => r.key === key)?.status, { timeout: 15_000 })
    .toBe("needs_reauth");

  // Reopening the modal shows it, and signing in again repairs the same connection.
  await steerMock(page, { accessTokenTtlSecs: 3600 });
  await page.reload();
  await page.getByTestId("connect").click();
  frame = modal(page);
  const card = frame.locator('[data-platform="mock-oauth"]');
  await expect(card).toContainText("Needs reconnecting");
  await card.click();
  await expect(frame.getByTestId("oauth")).toContainText(`Reconnect ${NAME}`);
  await expect(frame.getByTestId("reauth-notice")).toBeVisible();
  await expect(frame.getByTestId("oauth-continue")).toHaveText(`Reconnect ${NAME}`);
  popup = await continueInPopup(page, frame);
  await popup.locator("#approve").click();

  await expect(frame.getByTestId("success")).toContainText(`Connected to ${NAME}`);
  await expect(page.getByTestId("status")).toHaveText(keyPattern(user));
  expect(await page.getByTestId("status").getAttribute("data-connection-key")).toBe(key);
  // Repaired in place: no second connection, and this one works again.
  const rows = await mockOAuthRows();
  expect(rows).toHaveLength(connected);
  expect(rows.find((r) => r.key === key)?.status).toBe("active");

  await frame.getByTestId("done").click();
  await callMe(page, key);
  await expect(page.getByTestId("call-result")).toContainText('"status": 200');
});

test("the pop-up's message alone is enough when the server cannot be asked", async ({ page }) => {
  const user = "demo-user-1";
  // Every poll of the attempt fails: only the callback page's postMessage can tell the modal.
  await page.route("**/v1/authkit/oauth/attempts/*", (route) =>
    route.request().method() === "GET" ? route.fulfill({ status: 503, body: "unavailable" }) : route.fallback(),
  );
  const frame = await openMockOAuth(page, user);
  const popup = await continueInPopup(page, frame);
  await popup.locator("#approve").click();
  await expect(frame.getByTestId("success")).toContainText(`Connected to ${NAME}`, { timeout: 5_000 });
  await expect(page.getByTestId("status")).toHaveText(keyPattern(user));
});

test("the server's record alone is enough when the pop-up cannot post back", async ({ page }) => {
  const user = "demo-user-1";
  // As if COOP had severed the pop-up from its opener: the callback page finds no one to tell.
  await page.context().addInitScript(() => {
    if (location.pathname === "/oauth/callback") Object.defineProperty(window, "opener", { get: () => null });
  });
  const frame = await openMockOAuth(page, user);
  const popup = await continueInPopup(page, frame);
  await popup.locator("#approve").click();
  await expect(frame.getByTestId("success")).toContainText(`Connected to ${NAME}`);
  await expect(page.getByTestId("status")).toHaveText(keyPattern(user));
});

test("authWindow: 'redirect' signs in in the same tab, without a pop-up", async ({ page }) => {
  const user = "demo-user-2";
  // The demo page creates its kit without options; wrap Portico.create to pass authWindow.
  await page.addInitScript(() => {
    Object.defineProperty(window, "Portico", {
      configurable: true,
      get: () => undefined,
      set(portico: { create: (o: object) => unknown }) {
        const create = portico.create;
        Object.defineProperty(window, "Portico", {
          configurable: true,
          writable: true,
          value: { ...portico, create: (o: object) => create({ ...o, authWindow: "redirect" }) },
        });
      },
    });
  });
  let popups = 0;
  page.context().on("page", () => popups++);
  const frame = await openMockOAuth(page, user);
  await expect(frame.getByTestId("oauth")).toContainText("this page goes there and comes back here");
  await frame.getByTestId("oauth-continue").click();
  await page.waitForURL(AUTHORIZE_PAGE);
  await page.locator("#approve").click();
  await page.waitForURL((url) => url.origin === HOST);
  await expect(page.getByTestId("status")).toHaveText(keyPattern(user));
  await expect(modal(page).getByTestId("success")).toContainText(`Connected to ${NAME}`);
  expect(popups).toBe(0);
});

test("the loader navigates the host page only to Portico's own pages", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("connect").click();
  await expect(modal(page).getByTestId("integrations")).toBeVisible();
  const frame = page.frames().find((f) => f.url().includes("/modal?"))!;
  // Even the modal's own frame cannot send the host page elsewhere.
  await frame.evaluate(() =>
    window.parent.postMessage(
      { type: "portico:start-sign-in", url: "https://example.com/phish", attempt: "att_x", secret: "s" },
      "*",
    ),
  );
  await expect(page.getByTestId("status")).toContainText("Error (navigation_refused)");
  expect(new URL(page.url()).origin).toBe(HOST);
});

test("cancelling while the sign-in window is open closes it and goes back a step", async ({ page }) => {
  const frame = await openMockOAuth(page, "demo-user-1");
  const popup = await continueInPopup(page, frame);
  await frame.getByTestId("oauth-cancel").click();
  await expect.poll(() => popup.isClosed()).toBe(true);
  await expect(frame.getByTestId("oauth-continue")).toBeFocused();
  // Escape still closes the whole modal from here.
  await page.keyboard.press("Escape");
  await expect(page.locator("iframe[data-portico-modal]")).toBeHidden();
  await expect(page.getByTestId("status")).toHaveText("The window was closed.");
});
