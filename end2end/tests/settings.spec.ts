import { expect, test } from "@playwright/test";
import { addClient, addProvider, addService, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test("an owner renames the business, and creates and revokes an API key shown once", async ({ page }) => {
  const business = `Settings Studio ${Date.now()}`;
  await signUpQuickly(page.request, business, uniqueEmail("settings"));

  await page.goto("/settings");
  await waitForHydration(page);
  await page.getByLabel("Business name").fill(`${business} Renamed`);
  await page.getByLabel("Time zone").selectOption("America/New_York");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  // The top bar follows at once, and the change holds on a reload.
  await expect(page.locator(".account")).toContainText(`${business} Renamed`);
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

test("a business on the 12-hour clock reads it on the calendar, in the booking dialog and in refusals", async ({ page }) => {
  await signUpQuickly(page.request, `Twelve Studio ${Date.now()}`, uniqueEmail("twelve"));
  await addProvider(page.request, "Kai");
  await addService(page.request, "Cut", 30);
  await addClient(page.request, { name: "Mia Novak" });
  await addClient(page.request, { name: "Ann Archer" });

  await page.goto("/settings");
  await waitForHydration(page);
  await page.getByLabel("Time format").selectOption({ label: "12-hour (2:30 PM)" });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");

  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(new Date(Date.now() + 2 * 86_400_000));
  await page.goto(`/calendar?view=day&date=${day}`);
  await waitForHydration(page);
  await expect(page.locator(".cal-hour").first()).toHaveText("8 AM");
  const slot = page.getByRole("button", { name: /^Book with Kai, .* 2:00 PM$/ });
  for (const [client, first] of [["Mia Novak", true], ["Ann Archer", false]] as const) {
    // Once booked, the block covers the slot: the keyboard still reaches it.
    await slot.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Find a client").fill(client.split(" ")[0]);
    await dialog.getByRole("button", { name: new RegExp(client) }).click();
    await expect(dialog.getByTestId("booking-summary")).toContainText("2:00–2:30 PM");
    if (!first) await expect(dialog.getByTestId("conflicts")).toContainText("2:00–2:30 PM Mia Novak");
    await dialog.getByRole("button", { name: "Book", exact: true }).click();
    if (first) {
      await expect(page.getByRole("dialog")).toHaveCount(0);
      await expect(page.locator(".cal-appt .cal-time")).toHaveText("2:00 PM");
    } else {
      // The same time, flagged above, is refused in the business's own way of telling time.
      await expect(dialog.getByRole("alert")).toContainText("Kai is with Mia Novak 2:00–2:30 PM");
    }
  }
});
