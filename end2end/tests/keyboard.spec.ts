import { expect, test } from "@playwright/test";
import { signUpQuickly, uniqueEmail, waitForHydration } from "./support";

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
