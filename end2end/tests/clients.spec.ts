import { expect, test } from "@playwright/test";
import { addClient, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test("archive a client, find them among the archived, restore them", async ({ page }) => {
  await signUpQuickly(page.request, `Archive Clinic ${Date.now()}`, uniqueEmail("archive"));
  const id = await addClient(page.request, { name: "Amir Dubois" });

  await page.goto(`/clients/${id}`);
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: "Book" })).toBeVisible();
  await page.getByRole("button", { name: "Archive client" }).click();
  const banner = page.getByRole("status").filter({ hasText: "Archived." });
  await expect(banner).toBeVisible();
  await expect(page.getByRole("link", { name: "Book" })).toHaveCount(0);

  // Gone from the list, there when archived clients are asked for.
  await page.goto("/clients");
  await expect(page.getByText("No clients yet.")).toBeVisible();
  await page.getByLabel("Archived clients").check();
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/archived=true/);
  await page.getByRole("table", { name: "Clients" }).getByRole("link", { name: "Amir Dubois" }).click();

  await waitForHydration(page);
  await page.getByRole("button", { name: "Restore client" }).click();
  await expect(banner).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Book" })).toBeVisible();
  await page.goto("/clients");
  await expect(page.getByRole("table", { name: "Clients" }).getByRole("link")).toHaveText(["Amir Dubois"]);
});
