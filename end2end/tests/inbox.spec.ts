import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { addClient, connectMailbox, deliver, DESK, dovecotConf, openConversation, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

function countIn(folder: string, subject: string): number {
  const out = execFileSync("doveadm", ["-c", dovecotConf, "search", "-u", DESK, "mailbox", folder, "header", "subject", subject]).toString();
  return out.split("\n").filter((line) => line.trim()).length;
}

test("connect a mailbox, read a client's mail, reply, and see it sent", async ({ page }) => {
  const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  await signUpQuickly(page.request, `Inbox Studio ${stamp}`, uniqueEmail("inbox"));
  const mia = `mia-${stamp}@example.org`;
  const client = await addClient(page.request, { name: "Mia Novak", email: mia });
  const subject = `Moving my appointment ${stamp}`;
  deliver(`Message-ID: <ask-${stamp}@example.org>\nFrom: Mia Novak <${mia}>\nTo: ${DESK}\nSubject: ${subject}\nDate: ${new Date().toUTCString()}\nContent-Type: text/plain; charset=utf-8\n\nCould we move Tuesday to Wednesday?\n`);

  // Before a mailbox is connected, the inbox says so.
  await page.goto("/inbox");
  await expect(page.getByText("No mailbox is connected yet")).toBeVisible();
  await connectMailbox(page);

  await openConversation(page, subject);
  const open = page.getByRole("region", { name: "Conversation", exact: true });
  await expect(open.getByRole("link", { name: "Mia Novak" })).toHaveAttribute("href", `/clients/${client}`);
  await expect(open.getByText("Could we move Tuesday to Wednesday?")).toBeVisible();

  await page.getByLabel("Reply to Mia Novak").fill("Of course: Wednesday at 10:00.");
  await page.getByRole("button", { name: "Send reply" }).click();
  const mine = open.getByRole("listitem").filter({ hasText: "Of course: Wednesday at 10:00." });
  await expect(mine).toBeVisible();
  await expect(page.getByLabel("Reply to Mia Novak")).toHaveValue("");
  // Sent, and filed in the mailbox's Sent folder once.
  await expect(async () => {
    await page.reload();
    await expect(mine.getByText("Sent", { exact: true })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect.poll(() => countIn("Sent", `Re: ${subject}`), { timeout: 10_000 }).toBe(1);

  // Taken by the one who answered, found under Mine.
  await page.getByRole("button", { name: "Take it" }).click();
  await expect(page.getByRole("button", { name: "Let go" })).toBeVisible();
  await page.getByRole("navigation", { name: "Show" }).getByRole("link", { name: "Mine" }).click();
  await expect(page).toHaveURL(/show=mine/);
  const taken = page.getByRole("region", { name: "Conversations" }).getByRole("link").filter({ hasText: subject });
  await expect(taken).toHaveAttribute("href", /show=mine/);
  await taken.click();
  await expect(page.getByRole("heading", { level: 2 })).toContainText(subject);

  // Archived with `e`, found again under Archived.
  await waitForHydration(page);
  await page.keyboard.press("e");
  await expect(page.getByRole("button", { name: "Move to inbox" })).toBeVisible();
  await page.goto("/inbox?show=archived");
  await expect(page.getByRole("region", { name: "Conversations" }).getByRole("link").filter({ hasText: subject })).toBeVisible();

  // The client's page lists the conversation and writes a new one.
  await page.goto(`/clients/${client}`);
  await waitForHydration(page);
  await expect(page.getByRole("list", { name: "Email conversations" }).getByText(subject)).toBeVisible();
  // The timeline has the mail among the visits and files.
  await expect(page.getByRole("list", { name: "Timeline" }).getByRole("link", { name: subject })).toHaveAttribute("href", /\/inbox\?c=/);
  await page.getByText("Write to Mia Novak").click();
  const news = `Your results ${stamp}`;
  await page.getByLabel("Subject", { exact: true }).fill(news);
  await page.getByLabel("Message", { exact: true }).fill("Your results are ready to collect.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "on its way" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Email conversations" }).getByText(news)).toBeVisible();
  await expect.poll(() => countIn("Sent", news), { timeout: 20_000 }).toBe(1);
  await page.getByRole("link", { name: "Open the conversation" }).click();
  await expect(page.getByRole("heading", { level: 2 })).toContainText(news);
  await expect(page.getByRole("region", { name: "Conversation", exact: true }).getByText("Sent", { exact: true })).toBeVisible();
});

test("hostile HTML mail stays inert and loads nothing remote until asked", async ({ page }) => {
  const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  await signUpQuickly(page.request, `Inbox Safety ${stamp}`, uniqueEmail("xss"));
  const subject = `Hostile ${stamp}`;
  const html = [
    `<p>Hello from a stranger</p>`,
    `<script>window.parent.pwned = "script"</script>`,
    `<img src="x" onerror="window.parent.pwned='onerror'">`,
    `<a href="javascript:window.parent.pwned='link'">click me</a>`,
    `<svg onload="window.parent.pwned='svg'"><circle r="5"/></svg>`,
    `<div style="background:url(http://tracker.invalid/bg.png);width:expression(alert(1))">styled</div>`,
    `<meta http-equiv="refresh" content="0;url=http://tracker.invalid/refresh">`,
    `<form action="http://tracker.invalid/post"><input name="q"><button>Go</button></form>`,
    `<iframe src="http://tracker.invalid/frame"></iframe>`,
    `<img src="http://tracker.invalid/pixel.png" alt="pixel">`,
  ].join("\n");
  deliver(`Message-ID: <xss-${stamp}@example.net>\nFrom: stranger-${stamp}@example.net\nTo: ${DESK}\nSubject: ${subject}\nDate: ${new Date().toUTCString()}\nContent-Type: text/html; charset=utf-8\n\n${html}\n`);

  const remote: string[] = [];
  await page.route("http://tracker.invalid/**", (route) => {
    remote.push(route.request().url());
    return route.fulfill({ status: 200, contentType: "image/png", body: Buffer.from([]) });
  });
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    return dialog.dismiss();
  });

  await connectMailbox(page);
  await openConversation(page, subject);
  const frame = page.frameLocator("iframe.mail-html");
  // The sanitiser keeps the text, not the attributes (ids included).
  await expect(frame.getByText("Hello from a stranger")).toBeVisible();
  await expect(frame.getByText("click me")).toBeVisible();
  await expect(frame.locator("[href^='javascript'], [onerror], [onload]")).toHaveCount(0);
  await expect(frame.locator("body").locator("script, form, iframe, meta, svg")).toHaveCount(0);
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => (window as unknown as { pwned?: string }).pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(remote).toEqual([]);

  // Images from elsewhere only when staff ask for them.
  await page.getByRole("link", { name: "Show images" }).click();
  await expect.poll(() => remote.some((url) => url.endsWith("/pixel.png")), { timeout: 10_000 }).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { pwned?: string }).pwned)).toBeUndefined();
  expect(remote.filter((url) => !url.endsWith(".png"))).toEqual([]);
});
