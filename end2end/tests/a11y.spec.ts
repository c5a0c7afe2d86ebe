import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { addClient, addProvider, addService, book, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

// Every page and every dialog, checked by axe-core against WCAG 2.1 AA and
// best practice. A critical or serious finding fails the run, naming the
// page, the rule and the elements.

type Finding = { where: string; rule: string; impact: string; nodes: number; targets: string };

async function audit(page: Page, where: string, findings: Finding[]): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  for (const v of results.violations) {
    if (v.impact !== "critical" && v.impact !== "serious") continue;
    findings.push({
      where,
      rule: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "),
    });
  }
}

async function visit(page: Page, path: string, findings: Finding[]): Promise<void> {
  await page.goto(path);
  await waitForHydration(page);
  await audit(page, path, findings);
}

function report(findings: Finding[]): void {
  const count = (impact: string) => findings.filter((f) => f.impact === impact).reduce((n, f) => n + f.nodes, 0);
  console.log(`axe: ${count("critical")} critical and ${count("serious")} serious element findings`);
  expect(findings.map((f) => `${f.where}: ${f.rule} (${f.impact}) x${f.nodes}: ${f.targets}`)).toEqual([]);
}

test("pages for people not signed in have no serious accessibility problems", async ({ page }) => {
  const findings: Finding[] = [];
  for (const path of ["/signin", "/signup", "/forgot-password", "/reset-password?token=missing", "/verify-email?token=missing", "/accept-invitation?token=missing"]) {
    await page.goto(path);
    await audit(page, path, findings);
  }
  report(findings);
});

test("every page and dialog of the signed-in app has no serious accessibility problems", async ({ page }) => {
  test.setTimeout(180_000);
  await signUpQuickly(page.request, `Axe Clinic ${Date.now()}`, uniqueEmail("axe"));
  const dana = await addProvider(page.request, "Dana", "00:00-23:59");
  const kai = await addProvider(page.request, "Kai", "00:00-23:59");
  const service = await addService(page.request, "Check-up", 30);
  const room = await page.request.post("/api/save-resource", { headers: { Accept: "application/json" }, form: { name: "Room 1", kind: "room" } });
  expect(room.status()).toBe(200);
  const ann = await addClient(page.request, { name: "Ann Archer", email: uniqueEmail("ann"), phone: "+49 30 1234567" });
  const ben = await addClient(page.request, { name: "Ben Brook" });
  const mark = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  await book(page.request, { client: ann, service, provider: dana }, mark);
  await book(page.request, { client: ben, service, provider: kai }, new Date(mark.getTime() + 3_600_000));

  const findings: Finding[] = [];
  for (const path of [
    "/",
    "/calendar?view=day",
    "/calendar?view=week",
    "/calendar?view=month",
    "/day-sheet",
    "/inbox",
    "/clients",
    "/clients/new",
    `/clients/${ann}`,
    "/team",
    "/profile",
    "/settings",
    "/settings/services",
    "/settings/providers",
    "/settings/resources",
    "/settings/audit-log",
    "/settings/api-keys",
    "/settings/jobs",
    "/settings/mailboxes",
  ]) {
    await visit(page, path, findings);
  }

  // Rows opened for editing.
  for (const area of ["services", "providers", "resources"]) {
    await page.goto(`/settings/${area}`);
    await waitForHydration(page);
    await page.getByRole("link", { name: /^Edit / }).first().click();
    await expect(page.locator("tr.editing")).toHaveCount(1);
    await audit(page, `/settings/${area} editing a row`, findings);
  }

  // The calendar's dialogs: booking, an appointment's details, the finder's result, the shortcuts.
  await page.goto("/calendar?view=day");
  await waitForHydration(page);
  await page.getByRole("button", { name: /^Book with Dana, / }).first().click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await audit(page, "booking dialog", findings);
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await page.locator("button.cal-appt", { hasText: "Ann Archer" }).click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await audit(page, "appointment dialog", findings);
  await page.keyboard.press("Escape");
  const finder = page.getByRole("form", { name: "Find a free time" });
  await page.getByText("Find a free time").click();
  await finder.getByRole("button", { name: "Find next free time" }).click();
  await expect(page.getByRole("button", { name: "Book this time" })).toBeVisible();
  await audit(page, "free-time finder", findings);
  await page.locator("main").click({ position: { x: 1, y: 1 } });
  await page.keyboard.press("?");
  await expect(page.getByRole("dialog")).toBeVisible();
  await audit(page, "shortcuts dialog", findings);
  await page.keyboard.press("Escape");

  // The search with its results open.
  await page.getByRole("searchbox", { name: "Find a client" }).fill("Ann");
  await expect(page.getByRole("region", { name: "Search results" })).toContainText("Ann Archer");
  await audit(page, "search results", findings);

  // A phone: the drawer open, and the day as an agenda.
  await page.setViewportSize({ width: 390, height: 844 });
  await visit(page, "/calendar?view=day", findings);
  await page.getByRole("button", { name: "Toggle navigation" }).click();
  await audit(page, "phone drawer", findings);

  report(findings);
});
