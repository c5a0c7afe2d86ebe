import { expect, test } from "@playwright/test";
import { signUpQuickly, uniqueEmail, waitForHydration } from "./support";

/** `at` in Berlin, the business's zone: YYYY-MM-DD and HH:MM. */
function berlin(at: Date): { date: string; time: string } {
  const date = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(at);
  const time = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit", hour12: false }).format(at);
  return { date, time };
}

test("an appointment 23 hours ahead: the reminder schedule sends its reminder, the appointment says sent, the outbox has it", async ({ page }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const business = `Reminder Studio ${Date.now()}`;
  await signUpQuickly(page.request, business, uniqueEmail("reminders"));

  // A provider who works around the clock and a short service.
  await page.goto("/settings/providers");
  await waitForHydration(page);
  await page.locator("#provider-new-name").fill("Rosa");
  await page.locator("#provider-new-zone").selectOption("Europe/Berlin");
  for (let day = 1; day <= 7; day++) {
    await page.locator(`#provider-new-start_${day}`).fill("00:00");
    await page.locator(`#provider-new-end_${day}`).fill("23:59");
  }
  await page.getByRole("button", { name: "Add provider" }).click();
  await expect(page.getByRole("table", { name: "Providers" })).toContainText("Rosa");
  await page.goto("/settings/services");
  await waitForHydration(page);
  await page.locator("#service-new-name").fill("Quick check");
  await page.locator("#service-new-duration").fill("15");
  await page.locator("#service-new-price").fill("10");
  await page.getByRole("button", { name: "Add service" }).click();
  await expect(page.getByRole("table", { name: "Services" })).toContainText("Quick check");

  // A client with an address who agreed to reminders.
  const email = uniqueEmail("rita");
  const saved = await page.request.post("/api/save-client", {
    form: { name: "Rita Reminder", email, phone: "", notes: "", tags: "", email_reminders: "on" },
  });
  expect(saved.status(), await saved.text()).toBe(200);

  // Book the first half-hour slot at least 23 hours ahead.
  const halfHour = 30 * 60_000;
  const slot = new Date(Math.ceil((Date.now() + 23 * 3_600_000) / halfHour) * halfHour);
  const { date, time } = berlin(slot);
  await page.goto(`/calendar?view=day&date=${date}`);
  await waitForHydration(page);
  await page.locator(`button.cal-slot[aria-label$=" ${time}"]`).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Find a client").fill("Rita");
  await dialog.getByRole("button", { name: /Rita Reminder/ }).click();
  await dialog.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  const booked = page.locator("button.cal-appt", { hasText: "Rita Reminder" });
  await expect(booked).toContainText(time);

  // Before the schedule runs there is no reminder yet.
  await booked.click();
  await expect(dialog.getByTestId("reminder")).toContainText("No reminder yet");
  await dialog.getByRole("button", { name: "Close" }).click();

  // An external scheduler fires the reminder schedule.
  const fired = await page.request.post("/api/cron/reminders", {
    headers: { Authorization: `Bearer ${process.env.E2E_CRON_SECRET}` },
  });
  expect(fired.status(), await fired.text()).toBe(202);

  // The appointment says the reminder was sent.
  await expect(async () => {
    await page.goto(`/calendar?view=day&date=${date}`);
    await waitForHydration(page);
    await booked.click();
    await expect(dialog.getByTestId("reminder")).toHaveAttribute("data-status", "sent", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(dialog.getByTestId("reminder")).toContainText("Reminder sent at");

  // The client's timeline says so too.
  await dialog.getByRole("link", { name: "Open the client" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Rita Reminder");
  await expect(page.getByRole("list", { name: "Timeline" }).getByTestId("reminder")).toContainText("Reminder sent at");

  // The development outbox has the reminder, with its calendar attachment.
  await page.goto("/dev/outbox");
  const reminder = page.getByRole("listitem").filter({ hasText: `Reminder: your appointment at ${business}` });
  await expect(reminder).toHaveCount(1);
  await expect(reminder).toContainText(email);
  await reminder.locator("summary").click();
  await expect(reminder.locator(".message-text")).toContainText("Quick check with Rosa");
  await expect(reminder).toContainText("Attached: appointment.ics");
  // The booking's confirmation went out too.
  await expect(page.getByRole("listitem").filter({ hasText: `Your appointment at ${business} is booked` })).toHaveCount(1);
  expect(errors).toEqual([]);
});
