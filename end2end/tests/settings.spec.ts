import { expect, test } from "@playwright/test";
import { signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test("an owner renames the business, and creates and revokes an API key shown once", async ({ page }) => {
  const business = `Settings Studio ${Date.now()}`;
  await signUpQuickly(page.request, business, uniqueEmail("settings"));

  await page.goto("/settings");
  await waitForHydration(page);
  await page.getByLabel("Business name").fill(`${business} Renamed`);
  await page.getByLabel("Time zone").selectOption("America/New_York");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  await page.reload();
  await expect(page.locator(".account")).toContainText(`${business} Renamed`);

  await page.getByRole("link", { name: "API keys" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await waitForHydration(page);
  await page.getByLabel("Name").fill("Booking site");
  await page.getByLabel("clients:read").check();
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = page.locator("code.secret");
  await expect(secret).toHaveText(/^fdk_[0-9a-f]{64}$/);
  const row = page.getByRole("row", { name: /Booking site/ });
  await expect(row).toContainText("clients:read");
  await expect(row).not.toContainText((await secret.textContent()) ?? "missing");

  await page.reload();
  await expect(page.locator("code.secret")).toHaveCount(0);
  await page.getByRole("row", { name: /Booking site/ }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("row", { name: /Booking site/ })).toContainText("revoked");
});
