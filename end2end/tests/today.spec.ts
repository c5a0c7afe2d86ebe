import { expect, test } from "@playwright/test";
import { addClient, addProvider, addService, book, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test("today per provider: next up, one-click Arrived and Completed, and day sheets that print one provider per page", async ({ page }) => {
  await signUpQuickly(page.request, `Today Clinic ${Date.now()}`, uniqueEmail("today"));
  const dana = await addProvider(page.request, "Dana", "00:00-23:59");
  const kai = await addProvider(page.request, "Kai", "00:00-23:59");
  const service = await addService(page.request, "Check-up", 5);
  const ann = await addClient(page.request, { name: "Ann Archer" });
  const ben = await addClient(page.request, { name: "Ben Brook" });
  // This minute: always today, begun, and late only after five minutes.
  const mark = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  await book(page.request, { client: ann, service, provider: dana }, mark);
  await book(page.request, { client: ben, service, provider: kai }, mark);

  await page.goto("/");
  await waitForHydration(page);
  const board = page.getByTestId("today");
  const danaCard = board.getByRole("article", { name: "Dana" });
  await expect(danaCard).toContainText("Ann Archer");
  await expect(danaCard.locator(".badge")).toHaveText("Next up");
  await danaCard.getByRole("button", { name: "Arrived: Ann Archer" }).click();
  await expect(danaCard.locator(".badge")).toHaveText("In progress");
  await danaCard.getByRole("button", { name: "Completed: Ann Archer" }).click();
  await expect(danaCard.locator(".badge")).toHaveText("Completed");
  await expect(board.getByRole("article", { name: "Kai" }).locator(".badge")).toHaveText("Next up");

  // The figures follow today, and the chart's numbers are inside the picture.
  const chart = page.getByTestId("chart");
  const [box, labels] = [await chart.boundingBox(), await chart.locator(".bar-label").evaluateAll((ls) => ls.map((l) => l.getBoundingClientRect().top))];
  for (const top of labels) expect(top).toBeGreaterThanOrEqual(box!.y);

  // Day sheets: one provider per printed page.
  await page.getByRole("link", { name: "Print day sheets" }).click();
  await expect(page.getByRole("region", { name: "Dana" })).toContainText("Ann Archer");
  const pdf = (await page.pdf({ format: "A4" })).toString("latin1");
  const pages = pdf.match(/\/Type\s*\/Page[^s]/g) ?? [];
  expect(pages.length).toBe(2);
});
