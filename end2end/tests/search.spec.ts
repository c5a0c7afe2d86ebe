import { expect, test } from "@playwright/test";
import { addClient, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

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
  const results = page.getByRole("region", { name: "Matching clients" });
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
