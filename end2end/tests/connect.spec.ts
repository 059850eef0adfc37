import { expect, test, type Page } from "@playwright/test";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { PORTICO } from "../playwright.config";

// The whole path, as a third-party app's user lives it: the demo host page (its own origin) loads
// Portico's script tag, the modal opens in an iframe, the user connects the mock provider with an
// API key, the host is told through onSuccess, and the host's backend calls the provider's API
// through Portico's passthrough.

const GOOD_KEY = "mock_demo_key_2026";
const WRONG_KEY = "mock_wrong_key_0000";

function modal(page: Page) {
  return page.frameLocator("iframe[data-portico-modal]");
}

async function connectionsOf(page: Page, user: string) {
  const response = await page.request.get(`/api/connections?user=${user}`);
  expect(response.ok()).toBeTruthy();
  return (await response.json()) as { total: number; rows: { key: string; platform: string }[] };
}

test("connects the mock provider by API key and calls it through passthrough", async ({ page }) => {
  const user = "demo-user-1";
  const before = (await connectionsOf(page, user)).total;
  await page.goto(`/?user=${user}`);
  await page.getByTestId("connect").click();

  const frame = modal(page);
  await expect(page.locator("iframe[data-portico-modal]")).toBeVisible();
  await expect(frame.getByTestId("integrations")).toContainText("Mock Provider");
  await frame.locator('[data-platform="mock"]').click();

  // A key of the wrong shape is caught in the browser, before anything is sent.
  await frame.getByTestId("field-apiKey").fill("not-a-key");
  await frame.getByTestId("submit").click();
  await expect(frame.getByRole("alert").first()).toContainText("does not look right");

  // A well-formed key the provider refuses: a clear error, onError fired, nothing stored.
  await frame.getByTestId("field-apiKey").fill(WRONG_KEY);
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("form-error")).toContainText("Mock Provider did not accept these credentials");
  await expect(page.getByTestId("status")).toContainText("invalid_credentials");
  expect((await connectionsOf(page, user)).total).toBe(before);

  // The right key: success in the modal and onSuccess in the host page with the connection key.
  await frame.getByTestId("field-apiKey").fill(GOOD_KEY);
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("success")).toContainText("Connected to Mock Provider");
  await expect(page.getByTestId("status")).toHaveText(
    /^Connected mock: test::mock::default::[0-9a-f]{32}\|demo-user-1$/,
  );
  const key = await page.getByTestId("status").getAttribute("data-connection-key");
  expect((await connectionsOf(page, user)).rows.map((r) => r.key)).toContain(key);

  await frame.getByTestId("done").click();
  await expect(page.locator("iframe[data-portico-modal]")).toBeHidden();

  // The host's backend calls the mock API through Portico with the connection key.
  const row = page.locator(`#connections li[data-key="${key}"]`);
  await row.getByTestId("call").click();
  await expect(page.getByTestId("call-result")).toContainText('"status": 200');
  await expect(page.getByTestId("call-result")).toContainText('"id": "mock-account-1"');
});

test("a failing token endpoint is shown in words and reaches onError", async ({ page }) => {
  await page.route("**/api/portico-token*", (route) =>
    route.fulfill({ status: 500, contentType: "application/json", body: '{"error":{"code":"boom","message":"Token service down."}}' }),
  );
  await page.goto("/");
  await page.getByTestId("connect").click();
  await expect(modal(page).getByTestId("fatal-error")).toContainText("Token service down.");
  await expect(page.getByTestId("status")).toContainText("Error (boom): Token service down.");
  await modal(page).getByRole("button", { name: "Close" }).first().click();
  await expect(page.locator("iframe[data-portico-modal]")).toBeHidden();
});

test("closing the modal reaches onClose and it opens again with a fresh session", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("connect").click();
  await expect(modal(page).getByTestId("integrations")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.locator("iframe[data-portico-modal]")).toBeHidden();
  await expect(page.getByTestId("status")).toHaveText("The window was closed.");
  await page.getByTestId("connect").click();
  await expect(modal(page).getByTestId("search")).toBeVisible();
  await modal(page).getByTestId("search").fill("zzz");
  await expect(modal(page).getByTestId("empty")).toContainText("No integrations match “zzz”");
});

test("a page on an origin the workspace does not allow cannot frame the modal", async ({ page }) => {
  // A real local web server on an origin that is not one of the demo workspace's allowed origins.
  // It even hands out a token: only the modal's frame-ancestors policy can stop it.
  const server = http.createServer((req, res) => {
    if (req.url === "/token") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token: "akt_test_" + "A".repeat(43) }));
      return;
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><body><p id="out"></p>
      <script src="${PORTICO}/embed.js"></script>
      <script>
        const kit = Portico.create({ tokenUrl: "/token", loadTimeoutMs: 3000,
          onError: (e) => { document.getElementById("out").textContent = e.code; } });
        kit.open();
      </script></body>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const blocked = page.waitForEvent("console", (m) => m.text().includes("frame-ancestors"));
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect(page.locator("#out")).toHaveText("modal_unavailable", { timeout: 15_000 });
    // Chromium refused to render Portico's page inside the frame, citing the policy.
    expect((await blocked).text()).toContain("frame-ancestors");
  } finally {
    server.close();
  }
});
