import { expect, test } from "@playwright/test";
import { PASSWORD, latestLink, uniqueEmail, waitForHydration } from "./support";

test("sign up, sign out, sign in, invite a colleague who joins, and see it all in the audit log", async ({ page, browser }) => {
  // Four password hashings (sign-up, sign-in twice, joining) on a debug build.
  test.setTimeout(60_000);
  const owner = uniqueEmail("owner");
  const colleague = uniqueEmail("colleague");
  const business = `Physio ${Date.now()}`;

  // Sign up.
  await page.goto("/signup");
  await waitForHydration(page).catch(() => undefined);
  await page.getByLabel("Business name").fill(business);
  await page.getByLabel("Time zone").selectOption("Europe/Berlin");
  await page.getByLabel("Your name").fill("Olivia Owner");
  await page.getByLabel("Email").fill(owner);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
  await expect(page.locator(".account")).toContainText(business);
  await expect(page.locator(".account")).toContainText("Olivia Owner");

  // The address is not verified yet: a banner says so; the emailed link verifies it.
  await expect(page.getByText(`Please verify ${owner}`)).toBeVisible();
  const verify = await latestLink("/verify-email", owner);
  await page.goto(new URL(verify).pathname + new URL(verify).search);
  await page.getByRole("button", { name: "Verify my email" }).click();
  await expect(page).toHaveURL(/\/profile\?verified=1$/);
  await expect(page.locator("#email")).toContainText("(verified)");
  await expect(page.getByText(`Please verify ${owner}`)).toHaveCount(0);

  // Sign out: the app's pages now lead to the sign-in page.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await page.goto("/team");
  await expect(page).toHaveURL(/\/signin\?next=%2Fteam$/);

  // A wrong password is refused with the one message, next to the form.
  await page.getByLabel("Email").fill(owner);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");

  // Sign in, and land where we were going.
  await page.getByLabel("Email").fill(owner);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/team$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Team");
  await waitForHydration(page);

  // Invite a colleague as staff.
  await page.getByLabel("Email").fill(colleague);
  await page.getByLabel("Role", { exact: true }).last().selectOption("staff");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toHaveText(`Invitation sent to ${colleague}.`);
  await expect(page.locator(`[data-invitation="${colleague}"]`)).toBeVisible();

  // The colleague accepts in a browser of their own.
  const link = await latestLink("/accept-invitation", colleague);
  const other = await browser.newContext();
  const colleaguePage = await other.newPage();
  await colleaguePage.goto(new URL(link).pathname + new URL(link).search);
  await expect(colleaguePage.getByText(`You are invited to ${business} as staff`)).toBeVisible();
  await colleaguePage.getByLabel("Your name").fill("Carl Colleague");
  await colleaguePage.getByLabel(/Choose a password/).fill(PASSWORD);
  await colleaguePage.getByRole("button", { name: "Accept and join" }).click();
  await expect(colleaguePage).toHaveURL(/\/$/);
  await expect(colleaguePage.locator(".account")).toContainText("Carl Colleague");
  // Staff do not see the audit log.
  await colleaguePage.goto("/settings/audit-log");
  await expect(colleaguePage.getByRole("alert")).toContainText("permission");
  // The link works once.
  await other.clearCookies();
  await colleaguePage.goto(new URL(link).pathname + new URL(link).search);
  await expect(colleaguePage.getByRole("alert")).toContainText("already been used");
  await other.close();

  // The owner sees the new member and the audit entries.
  await page.reload();
  await expect(page.locator(`[data-member="${colleague}"] .role`)).toHaveText("staff");
  await page.goto("/settings");
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page).toHaveURL(/\/settings\/audit-log$/);
  const actions = page.locator(".audit-entries > li");
  await expect(actions.first()).toHaveAttribute("data-action", "member.added");
  for (const action of ["tenant.created", "invitation.created", "invitation.accepted", "member.added"]) {
    await expect(page.locator(`li[data-action="${action}"]`).first()).toBeVisible();
  }
  // Entries read as sentences with names; the raw change is one click away.
  const invited = page.locator('li[data-action="invitation.created"]');
  await expect(invited.locator(".audit-sentence")).toHaveText(`Olivia Owner invited ${colleague} as staff`);
  await expect(page.locator('li[data-action="member.added"] .audit-sentence').first()).toHaveText(
    "Carl Colleague joined the team as staff",
  );
  await expect(invited.locator("code")).toBeHidden();
  await invited.getByText("Details").click();
  await expect(invited.locator("code")).toContainText(colleague);
  // The settings navigation marks where we are, and the top navigation stays on Settings.
  await expect(page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Audit log" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Settings" })).toHaveAttribute("aria-current", "page");

  // Filter by record kind.
  await page.getByLabel("Record").selectOption("invitation");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/entity_type=invitation/);
  await expect(actions).toHaveCount(2);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-up errors show next to their fields, and signing in works", async ({ page }) => {
    const email = uniqueEmail("nojs");
    const business = `No Script Studio ${Date.now()}`;
    await page.goto("/signup");
    await page.getByLabel("Business name").fill(business);
    await page.getByLabel("Your name").fill("Nora");
    await page.getByLabel("Email").fill("nora@");
    await page.getByLabel(/^Password/).fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.locator("#email-error")).toContainText("not an email address");
    await expect(page.locator("#password-error")).toContainText("at least 10 characters");

    await page.getByLabel("Business name").fill(business);
    await page.getByLabel("Your name").fill("Nora");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
  });
});
