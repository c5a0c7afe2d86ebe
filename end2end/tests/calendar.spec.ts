import { expect, test, type Locator, type Page } from "@playwright/test";
import { addClient, addProvider, addService, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

/** A date `days` from now as YYYY-MM-DD in Berlin, the business's zone. */
function berlinDate(days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(new Date(Date.now() + days * 86_400_000));
}

async function book(page: Page, provider: string, time: string, client: string): Promise<void> {
  await page.getByRole("button", { name: new RegExp(`^Book with ${provider}, .* ${time}$`) }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Find a client").fill(client.split(" ")[0]);
  await dialog.getByRole("button", { name: new RegExp(client) }).click();
  await expect(dialog.getByTestId("booking-summary")).toContainText(`${time}–`);
  await dialog.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
}

/** Drags `block` onto the time `slot` names, over whatever is drawn there. */
async function dragOnto(page: Page, block: Locator, provider: string, time: string): Promise<void> {
  const slot = page.getByRole("button", { name: new RegExp(`^Book with ${provider}, .* ${time}$`) });
  const column = page.locator(".cal-col").filter({ has: slot });
  const [at, col] = [await slot.boundingBox(), await column.boundingBox()];
  await block.dragTo(column, { targetPosition: { x: 12, y: at!.y - col!.y + 2 } });
}

test("drag to another provider, a refused drop says why, edit after booking, undo a cancel, find a free time", async ({ page }) => {
  test.setTimeout(90_000);
  await signUpQuickly(page.request, `Drag Studio ${Date.now()}`, uniqueEmail("drag"));
  await addProvider(page.request, "Dana");
  const kai = await addProvider(page.request, "Kai");
  await addService(page.request, "Cut", 30);
  await addClient(page.request, { name: "Ann Archer" });
  await addClient(page.request, { name: "Mia Novak" });
  const day = berlinDate(1);
  await page.goto(`/calendar?view=day&date=${day}`);
  await waitForHydration(page);
  await expect(page.locator(".cal-colhead")).toHaveText(["Dana", "Kai"]);

  await book(page, "Dana", "10:00", "Ann Archer");
  await book(page, "Kai", "10:00", "Mia Novak");
  const ann = page.locator("button.cal-appt", { hasText: "Ann Archer" });
  const kaiColumn = page.locator(`.cal-col[data-provider="${kai}"]`);

  // Onto Kai at 10:00, where Mia is: refused, with the reason, and Ann stays with Dana.
  await dragOnto(page, ann, "Kai", "10:00");
  await expect(page.getByTestId("calendar-notice")).toHaveText(/Not moved\. Kai is with Mia Novak 10:00–10:30\./);
  await expect(kaiColumn.locator("button.cal-appt", { hasText: "Ann Archer" })).toHaveCount(0);

  // Onto Kai at 11:00: moved to Kai.
  await dragOnto(page, ann, "Kai", "11:00");
  await expect(kaiColumn.locator("button.cal-appt", { hasText: "Ann Archer" })).toContainText("11:00");

  // Edit after booking: provider, time and notes in one form.
  await ann.click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Provider").selectOption({ label: "Dana" });
  await dialog.getByLabel("Time").fill("12:00");
  await dialog.getByLabel("Notes").fill("Bring the consent form");
  await dialog.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(kaiColumn.locator("button.cal-appt", { hasText: "Ann Archer" })).toHaveCount(0);
  await expect(ann).toContainText("12:00");
  await ann.hover();
  await expect(page.getByRole("tooltip").filter({ hasText: "Bring the consent form" })).toBeVisible();

  // Cancel, then undo within the toast's seconds.
  await ann.click();
  await dialog.getByLabel("Reason", { exact: true }).fill("entered by mistake");
  await dialog.getByRole("button", { name: "Cancel appointment" }).click();
  await expect(ann).toHaveClass(/status-cancelled/);
  const undo = page.getByTestId("undo");
  await expect(undo).toContainText("Cancelled Ann Archer at 12:00.");
  await undo.getByRole("button", { name: "Undo" }).click();
  await expect(ann).not.toHaveClass(/status-cancelled/);
  await expect(undo).toHaveCount(0);

  // The finder: Kai's first free time that day is 09:00.
  await page.getByText("Find a free time").click();
  const finder = page.getByRole("form", { name: "Find a free time" });
  await finder.getByLabel("With").selectOption({ label: "Kai" });
  await finder.getByRole("button", { name: "Find next free time" }).click();
  await expect(page.getByTestId("next-free")).toContainText(/Next free: .* 09:00 with Kai/);
  await page.getByRole("button", { name: "Book this time" }).click();
  await expect(page.getByRole("dialog").getByTestId("booking-summary")).toContainText("09:00–09:30 · 30 min · 45.00 EUR");
});

test("the booking task: from the dashboard, a client found by a number typed without spaces, booked in five actions", async ({ page }) => {
  await signUpQuickly(page.request, `Task Clinic ${Date.now()}`, uniqueEmail("task"));
  await addProvider(page.request, "Dana", "00:00-23:59");
  await addService(page.request, "Consultation", 30);
  await addClient(page.request, { name: "Mia Novak", phone: "+49 30 3106454" });
  await page.goto("/");
  await waitForHydration(page);

  let actions = 0;
  const act = async (step: () => Promise<void>) => {
    actions += 1;
    await step();
  };
  const started = Date.now();
  const results = page.getByRole("region", { name: "Search results" });
  await act(() => page.getByRole("searchbox", { name: "Find a client" }).fill("303106454"));
  await act(() => results.getByRole("link", { name: /Mia Novak/ }).click());
  await act(() => page.getByRole("link", { name: "Book", exact: true }).click());
  await waitForHydration(page);
  const dialog = page.getByRole("dialog");
  await act(() => page.getByRole("button", { name: /^Book with Dana, .* 23:00$/ }).click());
  // The dialog names the client and offers the business's only service.
  await expect(dialog.getByTestId("chosen-client")).toContainText("Mia Novak");
  await expect(dialog.getByTestId("booking-summary")).toContainText("23:00–23:30 · 30 min");
  await act(() => dialog.getByRole("button", { name: "Book", exact: true }).click());
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.locator("button.cal-appt", { hasText: "Mia Novak" })).toContainText("23:00");
  const seconds = (Date.now() - started) / 1000;
  console.log(`booking task: ${actions} actions, ${seconds.toFixed(1)} s`);
  expect(actions).toBeLessThanOrEqual(5);
});

test("on a phone the day is an agenda, booking works, and nothing is wider than the screen", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await signUpQuickly(page.request, `Phone Studio ${Date.now()}`, uniqueEmail("agenda"));
  await addProvider(page.request, "Dana");
  await addService(page.request, "Cut", 30);
  await addClient(page.request, { name: "Ann Archer" });
  await page.goto(`/calendar?view=day&date=${berlinDate(1)}`);
  await waitForHydration(page);
  const agenda = page.getByTestId("agenda");
  await expect(agenda).toBeVisible();
  await expect(page.locator(".cal-grid")).toBeHidden();
  await expect(agenda).toContainText("Nothing booked.");
  await agenda.getByRole("button", { name: "Book with Dana" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Find a client").fill("Ann");
  await dialog.getByRole("button", { name: /Ann Archer/ }).click();
  await dialog.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(agenda.getByRole("button", { name: /Ann Archer/ })).toContainText("09:00–09:30");
  for (const path of ["/", `/calendar?view=day&date=${berlinDate(1)}`, "/calendar?view=week", "/calendar?view=month", "/clients", "/settings"]) {
    await page.goto(path);
    await waitForHydration(page);
    const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(scroll, `${path} is ${scroll}px wide on a ${width}px screen`).toBeLessThanOrEqual(width);
  }
  await context.close();
});
