import { expect, test, type Page } from "@playwright/test";
import { addProvider, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

/** A date `days` from now as YYYY-MM-DD in Berlin, the business's zone. */
function berlinDate(days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(new Date(Date.now() + days * 86_400_000));
}

async function dayCount(page: Page, date: string): Promise<string | null> {
  await page.goto("/");
  return page.locator(`[data-testid=chart] g[data-date="${date}"]`).getAttribute("data-count");
}

test("set up, book from the calendar, see the conflict, move, cancel, find it on the client's timeline and the dashboard", async ({ page }) => {
  test.setTimeout(90_000);
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await signUpQuickly(page.request, `Calendar Studio ${Date.now()}`, uniqueEmail("calendar"));

  // A resource, a provider who works every day, a service that needs a room.
  await page.goto("/settings/resources");
  await waitForHydration(page);
  await page.locator("#resource-name").fill("Room A");
  await page.locator("#resource-kind").fill("room");
  await page.getByRole("button", { name: "Add resource" }).click();
  await expect(page.getByRole("table", { name: "Resources" })).toContainText("Room A");

  await page.goto("/settings/providers");
  await waitForHydration(page);
  await page.locator("#provider-new-name").fill("Dana");
  await page.locator("#provider-new-zone").selectOption("Europe/Berlin");
  // The week as a grid: start, end and the lunch break, every day.
  for (let day = 1; day <= 7; day++) {
    await page.locator(`#provider-new-start_${day}`).fill("08:00");
    await page.locator(`#provider-new-end_${day}`).fill("20:00");
    await page.locator(`#provider-new-breaks_${day}`).fill("12:30-13:30");
  }
  await page.getByRole("button", { name: "Add provider" }).click();
  const dana = page.getByRole("table", { name: "Providers" }).getByRole("row", { name: /Dana/ });
  await expect(dana.locator(".week-bars li").first()).toHaveText(/Mon\s*08:00-12:30, 13:30-20:00/);
  await expect(dana.locator(".week-bars li").first().locator(".week-span")).toHaveCount(2);

  await page.goto("/settings/services");
  await waitForHydration(page);
  await page.locator("#service-new-name").fill("Massage");
  await page.locator("#service-new-duration").fill("60");
  await page.locator("#service-new-price").fill("55.50");
  await page.locator("#service-new-kinds").fill("room");
  await page.getByRole("button", { name: "Add service" }).click();
  await expect(page.getByRole("table", { name: "Services" })).toContainText("55.50 EUR");

  const day = berlinDate(1);
  expect(await dayCount(page, day)).toBe("0");

  // Book tomorrow 10:00 from an empty slot, adding the client on the way.
  await page.goto(`/calendar?view=day&date=${day}`);
  await waitForHydration(page);
  await page.locator('button.cal-slot[aria-label$=" 10:00"]').click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Find a client").fill("Zoe Tester");
  await dialog.getByRole("button", { name: "Add “Zoe Tester” as a new client" }).click();
  await expect(dialog.getByTestId("chosen-client")).toContainText("Zoe Tester");
  await expect(dialog.getByLabel("Room A (room)")).toBeChecked();
  await dialog.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  const booked = page.locator("button.cal-appt", { hasText: "Zoe Tester" });
  await expect(booked).toContainText("10:00");

  // The same slot again: the dialog shows the conflict before booking, the server refuses it.
  await page.locator('button.cal-slot[aria-label$=" 10:00"]').dispatchEvent("click");
  await dialog.getByLabel("Find a client").fill("Zoe");
  await dialog.getByRole("button", { name: /Zoe Tester/ }).click();
  await expect(dialog.getByTestId("conflicts")).toContainText("Zoe Tester");
  // The only room is taken: none is preselected, and the dialog says so.
  await expect(dialog.getByText("No room is free at this time.")).toBeVisible();
  await dialog.getByLabel("Room A (room)").check();
  await dialog.getByRole("button", { name: "Book", exact: true }).click();
  await expect(dialog.getByRole("alert")).toContainText(/is (with|in use for) Zoe Tester 10:00–11:00/);
  // A real modal: Esc closes it.
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.locator("button.cal-appt")).toHaveCount(1);

  // From the keyboard: the dialog takes focus, the page behind is inert,
  // and Esc gives focus back to the slot that opened it.
  const slot = page.locator('button.cal-slot[aria-label$=" 11:00"]');
  await slot.focus();
  await page.keyboard.press("Enter");
  await expect(dialog).toBeVisible();
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  // `:modal` matches only a dialog opened with showModal (the rest of the page is inert).
  expect(await page.evaluate(() => document.querySelectorAll("dialog:modal").length)).toBe(1);
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(slot).toBeFocused();

  expect(await dayCount(page, day)).toBe("1");

  // Move it to 14:00.
  await page.goto(`/calendar?view=day&date=${day}`);
  await waitForHydration(page);
  await booked.click();
  await dialog.getByLabel("Time").fill("14:00");
  await dialog.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(booked).toContainText("14:00");

  // Cancel it with a reason.
  await booked.click();
  await dialog.getByLabel("Reason", { exact: true }).fill("client is ill");
  await dialog.getByRole("button", { name: "Cancel appointment" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(booked).toHaveClass(/status-cancelled/);

  // The day view has a column per provider; the month view has the day.
  await page.goto(`/calendar?view=day&date=${day}`);
  await expect(page.locator(".cal-colhead", { hasText: "Dana" })).toBeVisible();
  await expect(page.locator("button.cal-appt")).toContainText("Zoe Tester");
  await page.goto(`/calendar?view=month&date=${day}`);
  await expect(page.locator(`.month-cell[data-date="${day}"]`)).toBeVisible();

  // Find the client; the timeline has the appointment and its reason.
  await page.goto("/clients?q=zoe");
  await page.getByRole("link", { name: "Zoe Tester" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Zoe Tester");
  const timeline = page.getByRole("list", { name: "Timeline" });
  await expect(timeline).toContainText("Massage with Dana");
  await expect(timeline).toContainText("Cancelled");
  await expect(timeline).toContainText("client is ill");

  expect(await dayCount(page, day)).toBe("0");
  // The refused double booking is the only failed request the browser reports.
  expect(errors).toEqual(["Failed to load resource: the server responded with a status of 409 (Conflict)"]);
});

test("the calendar opens on the day by provider, remembers the last view, and draws today's current-time line", async ({ page }) => {
  await signUpQuickly(page.request, `Week Studio ${Date.now()}`, uniqueEmail("week"));
  await page.goto("/calendar");
  await waitForHydration(page);
  await expect(page.getByTestId("calendar-title")).toHaveText(
    new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", weekday: "long", day: "numeric", month: "long", year: "numeric" })
      .format(new Date())
      .replace(",", ""),
  );
  await expect(page.getByRole("link", { name: "service" })).toBeVisible();

  // With a provider, the week is theirs: seven days, today marked.
  await addProvider(page.request, "Kai");
  await page.reload();
  await waitForHydration(page);
  await page.getByRole("link", { name: "Week", exact: true }).click();
  await expect(page.getByTestId("calendar-title")).toContainText("Week of");
  await expect(page.locator(".cal-col")).toHaveCount(7);
  await expect(page.locator(`.cal-col[data-date="${berlinDate(0)}"]`)).toHaveCount(1);
  await expect(page.locator('.cal-colhead[aria-current="date"]')).toHaveCount(1);
  // The grid covers 08:00 to 19:00 by default; the line shows while the clock is inside it.
  const hour = Number(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", hour12: false }).format(new Date()));
  await expect(page.getByTestId("now-line")).toHaveCount(hour >= 8 && hour < 19 ? 1 : 0);

  // Back on /calendar, the week is remembered for this person.
  await page.goto("/calendar");
  await expect(page.getByTestId("calendar-title")).toContainText("Week of");
});
