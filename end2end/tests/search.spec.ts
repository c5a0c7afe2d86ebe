import { expect, test } from "@playwright/test";
import { addClient, addProvider, addService, book, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test("the top bar finds a client by a number typed without spaces, from any page", async ({ page }) => {
  await signUpQuickly(page.request, `Search Clinic ${Date.now()}`, uniqueEmail("search"));
  await addClient(page.request, { name: "Mia Novak", phone: "+49 30 3106454" });
  await addClient(page.request, { name: "Kai Berg", phone: "030 3106999" });

  await page.goto("/calendar");
  await waitForHydration(page);
  // `/` outside a text field puts the cursor in the search field.
  await page.locator("body").press("/");
  const search = page.getByRole("searchbox", { name: "Find a client" });
  await expect(search).toBeFocused();
  await search.pressSequentially("030 3106454");
  const results = page.getByRole("region", { name: "Search results" });
  await expect(results.getByRole("link")).toHaveText([/Mia Novak/]);

  // The same person, typed the international way.
  await search.fill("+49303106454");
  await expect(results.getByRole("link")).toHaveText([/Mia Novak/]);
  // Esc closes the list (and, as in any search field, clears it).
  await search.press("Escape");
  await expect(results).toBeHidden();

  // A name, then the match's page.
  await search.fill("kai");
  await results.getByRole("link", { name: /Kai Berg/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kai Berg");

  // Typed into a field, `/` is a character, not the shortcut.
  await page.goto("/clients/new");
  await waitForHydration(page);
  const name = page.getByLabel("Name", { exact: true });
  await name.fill("A/B");
  await expect(name).toHaveValue("A/B");
  await expect(name).toBeFocused();
});

test("without JavaScript the search lists the matches on the clients page", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signUpQuickly(page.request, `Plain Clinic ${Date.now()}`, uniqueEmail("plain"));
  await addClient(page.request, { name: "Mia Novak", phone: "+49 30 3106454" });
  await page.goto("/");
  await page.getByRole("searchbox", { name: "Find a client" }).fill("0303106454");
  await page.getByRole("searchbox", { name: "Find a client" }).press("Enter");
  await expect(page).toHaveURL(/\/clients\?q=0303106454/);
  await expect(page.getByRole("table", { name: "Clients" }).getByRole("link")).toHaveText(["Mia Novak"]);
  await context.close();
});

test("the top bar also finds a client's next appointments, and pages by name", async ({ page }) => {
  await signUpQuickly(page.request, `Search Studio ${Date.now()}`, uniqueEmail("search"));
  const dana = await addProvider(page.request, "Dana", "00:00-23:59");
  const service = await addService(page.request, "Check-up", 30);
  const ada = await addClient(page.request, { name: "Ada Lovelace" });
  // Tomorrow at a whole hour, in the app's own time.
  const at = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 24 * 3_600_000);
  await book(page.request, { client: ada, service, provider: dana }, at);

  await page.goto("/");
  await waitForHydration(page);
  const search = page.getByRole("searchbox", { name: "Find a client" });
  await search.fill("ada");
  const results = page.getByRole("region", { name: "Search results" });
  const next = results.getByRole("list", { name: "Next appointments" });
  await expect(next.getByRole("link")).toHaveText([/Ada Lovelace.*Check-up with Dana/]);
  await next.getByRole("link").click();
  await expect(page).toHaveURL(/\/calendar\?view=day&date=\d{4}-\d{2}-\d{2}$/);
  await expect(page.locator("button.cal-appt", { hasText: "Ada Lovelace" })).toBeVisible();

  // Pages by their name or another word for them.
  await search.fill("rooms");
  await results.getByRole("list", { name: "Pages" }).getByRole("link", { name: "Resources" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Resources");
  await search.fill("zzzz");
  await expect(results).toContainText("Nothing matches “zzzz”.");
});
