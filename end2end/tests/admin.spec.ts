import { expect, test } from "@playwright/test";
import { addProvider, addService, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test("services, providers and resources are edited in their own row", async ({ page }) => {
  await signUpQuickly(page.request, `Admin Studio ${Date.now()}`, uniqueEmail("admin"));
  await addService(page.request, "Massage", 60);
  await addProvider(page.request, "Kai", "09:00-12:30, 13:30-17:00");
  const room = await page.request.post("/api/save-resource", {
    headers: { Accept: "application/json" },
    form: { name: "Room 1", kind: "room" },
  });
  expect(room.status()).toBe(200);

  // Services: Edit opens the row with the cursor in it; Esc leaves it unchanged.
  await page.goto("/settings/services");
  await waitForHydration(page);
  const services = page.getByRole("table", { name: "Services" });
  await services.getByRole("link", { name: "Edit Massage" }).click();
  await expect(page).toHaveURL(/edit=/);
  const length = services.getByLabel("Length (minutes)");
  await expect(services.getByLabel("Name")).toBeFocused();
  await length.fill("45");
  await page.keyboard.press("Escape");
  await expect(length).toHaveCount(0);
  await expect(services.getByRole("row", { name: /Massage/ })).toContainText("60 min");

  // A bad value is named in the row; a good one saves and closes it.
  await services.getByRole("link", { name: "Edit Massage" }).click();
  await services.getByLabel("Length (minutes)").fill("forever");
  await services.getByRole("button", { name: "Save service" }).click();
  await expect(services.locator(".field-error")).toContainText("minutes");
  await services.getByLabel("Length (minutes)").fill("45");
  await services.getByRole("button", { name: "Save service" }).click();
  await expect(services.getByLabel("Length (minutes)")).toHaveCount(0);
  await expect(services.getByRole("row", { name: /Massage/ })).toContainText("45 min");
  await expect(page).not.toHaveURL(/edit=/);
  // The new-service form below stayed clear of the row's error.
  await expect(page.locator("#service-new-duration")).toHaveValue("60");

  // Providers: the week reads as bars with the break as a gap, and edits as a grid.
  await page.goto("/settings/providers");
  await waitForHydration(page);
  const kai = page.getByRole("table", { name: "Providers" }).getByRole("row", { name: /Kai/ });
  await expect(kai.locator(".week-bars li").nth(2)).toHaveText(/Wed\s*09:00-12:30, 13:30-17:00/);
  await kai.getByRole("link", { name: "Edit Kai" }).click();
  const editing = page.locator("tr.editing");
  await expect(editing.getByLabel("Wednesday start")).toHaveValue("09:00");
  await expect(editing.getByLabel("Wednesday breaks")).toHaveValue("12:30-13:30");
  await editing.getByLabel("Saturday start").fill("10:00");
  await editing.getByLabel("Saturday end").fill("14:00");
  await editing.getByLabel("Saturday breaks").fill("15:00-15:30");
  await editing.getByRole("button", { name: "Save provider" }).click();
  await expect(editing.getByRole("alert").first()).toContainText("15:00-15:30");
  await editing.getByLabel("Saturday breaks").fill("");
  await editing.getByRole("button", { name: "Save provider" }).click();
  await expect(page.locator("tr.editing")).toHaveCount(0);
  await expect(kai.locator(".week-bars li").nth(5)).toHaveText(/Sat\s*10:00-14:00/);

  // Resources: the cells themselves become the fields.
  await page.goto("/settings/resources");
  await waitForHydration(page);
  const resources = page.getByRole("table", { name: "Resources" });
  await resources.getByRole("link", { name: "Edit Room 1" }).click();
  await expect(resources.getByLabel("Name")).toBeFocused();
  await resources.getByLabel("Name").fill("Garden room");
  await resources.getByRole("button", { name: "Save" }).click();
  await expect(resources.getByRole("row", { name: /Garden room/ })).toBeVisible();
  await expect(resources.getByRole("textbox")).toHaveCount(0);

  // The settings navigation follows, and the top navigation stays on Settings.
  const settingsNav = page.getByRole("navigation", { name: "Settings" });
  await expect(settingsNav.getByRole("link", { name: "Resources" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Settings" })).toHaveAttribute(
    "aria-current",
    "page",
  );
});

test("an owner cannot remove or demote themselves by accident", async ({ page }) => {
  const owner = uniqueEmail("owner");
  await signUpQuickly(page.request, `Owner Studio ${Date.now()}`, owner);
  await page.goto("/team");
  await waitForHydration(page);
  const me = page.locator(`[data-member="${owner}"]`);
  await expect(me).toContainText("(you)");
  await expect(me.getByRole("button", { name: /Remove/ })).toHaveCount(0);

  // Choosing a lesser role for oneself asks for a confirmation first.
  await me.getByRole("combobox").selectOption("admin");
  await me.getByRole("button", { name: "Change role" }).click();
  await expect(page.getByRole("alert").first()).toContainText("your own role");
  await expect(me.locator(".role")).toHaveText("owner");
  // Confirmed, the business still needs an owner.
  await me.getByLabel("I give up my current rights").check();
  await me.getByRole("button", { name: "Change role" }).click();
  await expect(page.getByRole("alert").first()).toContainText("at least one owner");
  await expect(me.locator(".role")).toHaveText("owner");
});
