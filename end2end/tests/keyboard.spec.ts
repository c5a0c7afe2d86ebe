import { expect, test } from "@playwright/test";
import { addClient, addProvider, addService, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test("single keys move the calendar, ? lists them, and they keep out of fields and dialogs", async ({ page }) => {
  await signUpQuickly(page.request, `Keys Clinic ${Date.now()}`, uniqueEmail("keys"));
  await page.goto("/calendar?view=day&date=2026-03-28");
  await waitForHydration(page);
  const title = page.getByTestId("calendar-title");
  await expect(title).toHaveText("Saturday 28 March 2026");

  await page.keyboard.press("n");
  await expect(page).toHaveURL(/date=2026-03-29/);
  await expect(title).toHaveText("Sunday 29 March 2026");
  await page.keyboard.press("p");
  await expect(title).toHaveText("Saturday 28 March 2026");
  await page.keyboard.press("p");
  await expect(title).toHaveText("Friday 27 March 2026");
  // Today in the business's zone (Berlin), as the browser reckons it.
  const today = await page.evaluate(() => new Date().toLocaleDateString("en-CA", { timeZone: "Europe/Berlin" }));
  await page.keyboard.press("t");
  await expect(page).toHaveURL(new RegExp(`date=${today}`));

  // The list of shortcuts is a modal: keys inside it do not move the calendar.
  const url = page.url();
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(help).toBeVisible();
  await expect(help.getByRole("definition")).toContainText(["Find a client", "Calendar: today"]);
  await page.keyboard.press("n");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  expect(page.url()).toBe(url);

  // Typed into a field, a letter is a letter.
  const search = page.getByRole("searchbox", { name: "Find a client" });
  await search.focus();
  await page.keyboard.type("np");
  await expect(search).toHaveValue("np");
  expect(page.url()).toBe(url);
});

test("booking with the keyboard alone: the skip link, New appointment, typing, Tab, Enter and Esc", async ({ page }) => {
  await signUpQuickly(page.request, `Keyboard Studio ${Date.now()}`, uniqueEmail("kbd"));
  await addProvider(page.request, "Dana");
  await addService(page.request, "Cut", 30);
  await addClient(page.request, { name: "Ann Archer" });
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(new Date(Date.now() + 86_400_000));
  await page.goto(`/calendar?view=day&date=${day}`);
  await waitForHydration(page);
  const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");

  // Tab presses from the top of the page to the calendar's main action.
  let tabs = 0;
  while ((await focused()) !== "New appointment") {
    await page.keyboard.press("Tab");
    tabs += 1;
    if ((await focused()) === "Skip to content") await page.keyboard.press("Enter");
    expect(tabs, "New appointment within a handful of Tab presses").toBeLessThanOrEqual(4);
  }
  console.log(`calendar: New appointment after ${tabs} Tab presses`);
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByLabel("Find a client")).toBeFocused();
  await page.keyboard.type("Ann");
  await expect(dialog.getByRole("button", { name: /Ann Archer/ })).toBeVisible();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(dialog.getByTestId("chosen-client")).toContainText("Ann Archer");
  let presses = 0;
  while ((await focused()) !== "Book") {
    await page.keyboard.press("Tab");
    presses += 1;
    expect(presses, "Book is reachable by Tab").toBeLessThanOrEqual(15);
  }
  await page.keyboard.press("Enter");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  const booked = page.locator("button.cal-appt", { hasText: "Ann Archer" });
  await expect(booked).toContainText("09:00");

  // Its details open from the keyboard and Esc gives focus back to it.
  await booked.focus();
  await page.keyboard.press("Enter");
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(booked).toBeFocused();

  // Arrow keys move between the grid's times from its one tab stop.
  const first = page.locator('.cal-slot[tabindex="0"]');
  await expect(first).toHaveCount(1);
  await first.focus();
  for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowDown");
  await expect(page.locator(".cal-slot:focus")).toHaveAttribute("aria-label", /, .* 09:00$/);
  await expect(page.locator('.cal-slot[tabindex="0"]')).toHaveAttribute("aria-label", /09:00$/);
});
