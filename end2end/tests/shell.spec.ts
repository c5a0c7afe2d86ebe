import { expect, test, type Page } from "@playwright/test";
import { signUpQuickly, uniqueEmail } from "./support";

// A desk whose computer is set to another zone than the business's (Berlin).
test.use({ timezoneId: "America/New_York" });

// The app's pages are for signed-in staff: each test works in a business of its own.
test.beforeEach(async ({ page }) => {
  await signUpQuickly(page.request, `Shell Clinic ${uniqueEmail("shell")}`, uniqueEmail("shell"));
});

/**
 * Collects console errors and uncaught exceptions for the whole test.
 * `expectedErrorDocument`: a page whose own error status the browser reports.
 */
function watchErrors(page: Page, expectedErrorDocument?: string): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const from = msg.location().url;
    if (expectedErrorDocument && from && new URL(from).pathname === expectedErrorDocument) return;
    errors.push(`console: ${msg.text()} (${from})`);
  });
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

test("the shell renders with its navigation", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("Dashboard · Frontdesk");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
  const nav = page.getByRole("navigation", { name: "Primary" });
  for (const name of ["Dashboard", "Calendar", "Inbox", "Clients", "Settings"]) {
    await expect(nav.getByRole("link", { name })).toBeVisible();
  }
  await expect(nav.getByRole("link", { name: "Dashboard" })).toHaveAttribute("aria-current", "page");
});

test("hydration makes the page interactive, without console errors", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");

  // The clock only ticks once the wasm runs.
  const clock = page.getByTestId("clock");
  await expect(clock).not.toHaveText("--:--");
  // It shows the business's time (Europe/Berlin) in its format (24-hour,
  // signed up without a browser language), not the browser's zone or habit.
  const withoutSeconds = (text: string) => text.replace(/:\d\d(?=\D*$)/, "");
  await expect(async () => {
    const berlin = await page.evaluate(() =>
      new Date().toLocaleString("default", {
        weekday: "long", day: "numeric", month: "long",
        hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "Europe/Berlin", hour12: false,
      }),
    );
    expect(withoutSeconds((await clock.textContent()) ?? "")).toBe(withoutSeconds(berlin));
  }).toPass({ timeout: 5_000 });

  // The navigation toggle only works once the wasm runs.
  const toggle = page.getByRole("button", { name: "Toggle navigation" });
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(page.getByRole("navigation", { name: "Primary" })).toBeHidden();
  await toggle.click();
  await expect(page.getByRole("navigation", { name: "Primary" })).toBeVisible();

  // Client-side navigation: the router swaps the page without a reload.
  await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));
  await page.getByRole("link", { name: "Calendar" }).click();
  await expect(page).toHaveURL(/\/calendar$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Calendar");
  expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);

  expect(errors).toEqual([]);
});

test("an unknown address shows the not-found page with status 404", async ({ page }) => {
  const errors = watchErrors(page, "/no/such/page");
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expect(page.locator("[data-hydrated=true]")).toHaveCount(1);
  expect(errors).toEqual([]);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the page still renders from the server", async ({ page }) => {
    const response = await page.goto("/clients");
    expect(response?.status()).toBe(200);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Clients");
    await expect(page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Inbox" })).toBeVisible();
    await expect(page.locator(".app")).not.toHaveAttribute("data-hydrated", "true");
    await expect(page.getByTestId("clock")).toHaveCount(0);
    await page.getByRole("link", { name: "Dashboard" }).click();
    await expect(page.getByTestId("clock")).toHaveText("--:--");
  });
});

test("the CSP header allows the page's own scripts only", async ({ page }) => {
  const response = await page.goto("/");
  const csp = response?.headers()["content-security-policy"] ?? "";
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();
  // The browser hides nonce attributes from the DOM, but keeps them as properties.
  const scriptNonces = await page.locator("script").evaluateAll((els) => els.map((el) => (el as HTMLScriptElement).nonce));
  expect(scriptNonces.length).toBeGreaterThan(0);
  for (const n of scriptNonces) expect(n).toBe(nonce);

  // An injected inline script without the nonce is refused by the browser.
  const blocked = await page.evaluate(async () => {
    const w = window as unknown as { __injected?: boolean };
    const s = document.createElement("script");
    s.textContent = "window.__injected = true";
    document.body.appendChild(s);
    await new Promise((r) => setTimeout(r, 50));
    return w.__injected !== true;
  });
  expect(blocked).toBe(true);
});
