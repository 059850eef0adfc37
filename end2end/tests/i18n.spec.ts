import AxeBuilder from "@axe-core/playwright";
import { expect, test, type FrameLocator, type Page } from "@playwright/test";

// The modal in the user's language: the loader's `locale` option (the demo host page passes its
// `?locale=` on), else the browser's languages, else English; `<html lang>` follows, and the
// French screens have zero axe-core violations like the English ones (a11y.spec.ts).

const FRAME = "iframe[data-portico-modal]";
const WRONG_KEY = "mock_wrong_key_0000";

function modal(page: Page): FrameLocator {
  return page.frameLocator(FRAME);
}

async function expectNoViolations(page: Page, screen: string) {
  const results = await new AxeBuilder({ page }).include(FRAME).analyze();
  const found = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(found, `axe violations on the ${screen} screen`).toEqual([]);
  await page.screenshot({ path: test.info().outputPath(`${screen}.png`) });
}

test('locale "fr": the list, the form and its errors are in French', async ({ page }) => {
  await page.goto("/?user=i18n-fr&locale=fr");
  await page.getByTestId("connect").click();
  const frame = modal(page);

  await expect(frame.getByTestId("integrations")).toContainText("Mock Provider");
  await expect(frame.locator("html")).toHaveAttribute("lang", "fr");
  await expect(frame.locator("html")).toHaveAttribute("dir", "ltr");
  await expect(frame.locator("#pm-title")).toHaveText("Connecter une intégration");
  await expect(frame.getByTestId("search")).toHaveAttribute("placeholder", "Rechercher une intégration");
  await expect(frame.getByRole("button", { name: "Toutes", exact: true })).toBeVisible();
  await expect(frame.getByRole("button", { name: "Fermer" }).first()).toBeVisible();
  await expect(frame.locator(".pm-footer")).toContainText("Sécurisé par Portico");
  await expectNoViolations(page, "fr-list");

  // A search that matches nothing says so in French, quoting the query.
  await frame.getByTestId("search").fill("zzz");
  await expect(frame.getByTestId("empty")).toHaveText("Aucune intégration ne correspond à « zzz ».");
  await frame.getByTestId("search").fill("");

  // The form: the catalog's own words stay as they are, the modal's are French.
  await frame.locator('[data-platform="mock"]').click();
  await expect(frame.getByTestId("form")).toContainText("Connecter Mock Provider");
  await expect(frame.getByTestId("submit")).toHaveText("Connecter");
  await frame.getByTestId("field-apiKey").fill("not-a-key");
  await frame.getByTestId("submit").click();
  await expect(frame.getByRole("alert").first()).toContainText("ne semble pas correct");
  await expectNoViolations(page, "fr-form");

  // The server's error code, in French wording (its English sentence still reaches onError).
  await frame.getByTestId("field-apiKey").fill(WRONG_KEY);
  await frame.getByTestId("submit").click();
  await expect(frame.getByTestId("form-error")).toHaveText(
    "Mock Provider n'a pas accepté ces identifiants. Vérifiez-les et réessayez.",
  );
  await expect(page.getByTestId("status")).toContainText("invalid_credentials");
  await expectNoViolations(page, "fr-form-error");
});

test('locale "fr": an error screen is in French', async ({ page }) => {
  await page.route("**/api/portico-token*", (route) => route.fulfill({ status: 500, body: "" }));
  await page.goto("/?locale=fr-CA");
  await page.getByTestId("connect").click();
  const error = modal(page).getByTestId("fatal-error");
  await expect(error).toHaveAttribute("data-code", "token_request_failed");
  await expect(error).toContainText("Impossible de continuer");
  await expect(error).toContainText("L'application n'a pas pu ouvrir de session sécurisée.");
  await expect(error.getByRole("button")).toHaveText("Fermer");
  await expect(modal(page).locator("html")).toHaveAttribute("lang", "fr");
  await expectNoViolations(page, "fr-error");
});

test('locale "ja": the modal is in Japanese', async ({ page }) => {
  await page.goto("/?user=i18n-ja&locale=ja");
  await page.getByTestId("connect").click();
  const frame = modal(page);
  await expect(frame.getByTestId("integrations")).toContainText("Mock Provider");
  await expect(frame.locator("html")).toHaveAttribute("lang", "ja");
  await expect(frame.locator("#pm-title")).toHaveText("連携サービスに接続");
  await expect(frame.getByTestId("search")).toHaveAttribute("placeholder", "連携サービスを検索");
  await frame.locator('[data-platform="mock"]').click();
  await expect(frame.getByTestId("form")).toContainText("Mock Provider に接続");
  await expect(frame.getByTestId("submit")).toHaveText("接続");
});

test.describe("a German browser", () => {
  test.use({ locale: "de-DE" });

  test("with no locale option, the modal follows the browser: German", async ({ page }) => {
    await page.goto("/?user=i18n-de");
    await page.getByTestId("connect").click();
    const frame = modal(page);
    await expect(frame.getByTestId("integrations")).toContainText("Mock Provider");
    await expect(frame.locator("html")).toHaveAttribute("lang", "de");
    await expect(frame.locator("#pm-title")).toHaveText("Integration verbinden");
    await expect(frame.getByTestId("search")).toHaveAttribute("placeholder", "Integrationen durchsuchen");
  });

  test("an unknown locale option is English, whatever the browser says", async ({ page }) => {
    await page.goto("/?user=i18n-de&locale=xx");
    await page.getByTestId("connect").click();
    const frame = modal(page);
    await expect(frame.getByTestId("integrations")).toContainText("Mock Provider");
    await expect(frame.locator("html")).toHaveAttribute("lang", "en");
    await expect(frame.locator("#pm-title")).toHaveText("Connect an integration");
  });
});
