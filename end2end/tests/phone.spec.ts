import { expect, test } from "@playwright/test";
import { addClient, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

const PAGES = [
  "/",
  "/calendar",
  "/inbox",
  "/clients",
  "/clients/new",
  "/team",
  "/profile",
  "/settings",
  "/settings/audit-log",
  "/settings/api-keys",
  "/settings/jobs",
  "/settings/services",
  "/settings/providers",
  "/settings/resources",
];

test("on a phone no page is wider than the screen", async ({ page }) => {
  test.setTimeout(90_000);
  await signUpQuickly(page.request, `Phone Clinic ${Date.now()}`, uniqueEmail("phone"));
  const client = await addClient(page.request, {
    name: "Mia Novak-Lindqvist",
    email: "mia.novak-lindqvist@example.com",
    phone: "+49 30 3106454",
  });

  for (const path of [...PAGES, `/clients/${client}`]) {
    await page.goto(path);
    await waitForHydration(page);
    // Against the phone's own width: a mobile browser widens its layout
    // viewport to fit wide content, so the page's client width would hide it.
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scroll, `${path} scrolls sideways`).toBeLessThanOrEqual(page.viewportSize()!.width);
    // The page's own heading is in view, not pushed down by the menu.
    await expect(page.getByRole("heading", { level: 1 }), path).toBeInViewport();
  }
});

test("on a phone the menu is a drawer, closed until asked for", async ({ page }) => {
  await signUpQuickly(page.request, `Drawer Clinic ${Date.now()}`, uniqueEmail("drawer"));
  await page.goto("/");
  await waitForHydration(page);
  const nav = page.getByRole("navigation", { name: "Primary" });
  const toggle = page.getByRole("button", { name: "Toggle navigation" });
  await expect(nav).toBeHidden();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");

  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(nav).toBeVisible();
  await nav.getByRole("link", { name: "Clients" }).click();
  await expect(page).toHaveURL(/\/clients$/);
  await expect(nav).toBeHidden();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");

  // Esc closes it too, and the page keeps its full width meanwhile.
  await toggle.click();
  await expect(nav).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(nav).toBeHidden();
  const main = await page.locator("main").boundingBox();
  expect(main?.width ?? 0).toBeGreaterThan(350);
});
