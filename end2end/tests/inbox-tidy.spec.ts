import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { addClient, connectMailbox, deliver, DESK, openConversation, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

test("split a reply off, merge two conversations, and reply with a client's file", async ({ page }) => {
  test.setTimeout(120_000);
  const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  await signUpQuickly(page.request, `Tidy Inbox ${stamp}`, uniqueEmail("tidy"));
  const mia = `mia-${stamp}@example.org`;
  await addClient(page.request, { name: "Mia Novak", email: mia });
  await connectMailbox(page);

  // One thread of two messages, and a second conversation about something else.
  const first = `Tuesday ${stamp}`;
  const other = `Invoice ${stamp}`;
  const date = new Date().toUTCString();
  deliver(`Message-ID: <t1-${stamp}@example.org>\nFrom: Mia Novak <${mia}>\nTo: ${DESK}\nSubject: ${first}\nDate: ${date}\n\nCan we move Tuesday?\n`);
  deliver(`Message-ID: <t2-${stamp}@example.org>\nIn-Reply-To: <t1-${stamp}@example.org>\nReferences: <t1-${stamp}@example.org>\nFrom: Mia Novak <${mia}>\nTo: ${DESK}\nSubject: Re: ${first}\nDate: ${date}\n\nAlso, my new address is Hauptstr. 5.\n`);
  deliver(`Message-ID: <i1-${stamp}@example.org>\nFrom: Mia Novak <${mia}>\nTo: ${DESK}\nSubject: ${other}\nDate: ${date}\n\nCould you send the invoice again?\n`);
  await page.goto("/settings/mailboxes");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Sync now" }).first().click();

  // Split the reply off: it opens as a conversation of its own.
  await openConversation(page, first);
  const conversation = page.getByRole("region", { name: "Conversation", exact: true });
  await expect(conversation.getByRole("listitem").filter({ hasText: "Hauptstr. 5" })).toBeVisible();
  await conversation.getByRole("button", { name: /^Split off the message of / }).last().click();
  await expect(page).toHaveURL(/[?&]c=/);
  await expect(conversation.getByText("Also, my new address is Hauptstr. 5.")).toBeVisible();
  await expect(conversation.getByText("Can we move Tuesday?")).toHaveCount(0);

  // Merge the invoice question into the Tuesday conversation.
  await openConversation(page, other);
  await page.getByText("Merge into another conversation").click();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: test.info().outputPath("merge-desktop.png") });
  const into = page.getByLabel("Merge into");
  const target = await into.locator("option", { hasText: first }).first().getAttribute("value");
  await into.selectOption(target!);
  await page.getByRole("button", { name: "Merge", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`c=${target}`));
  await expect(conversation.getByText("Could you send the invoice again?")).toBeVisible();
  await expect(conversation.getByText("Can we move Tuesday?")).toBeVisible();

  // Reply with a file uploaded to the client's files on the way.
  await page.getByText("Attach files").click();
  await conversation.getByLabel("Choose files").setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% invoice\n") });
  await expect(page.getByText("Attach files (1 chosen)")).toBeVisible({ timeout: 15_000 });
  await expect(conversation.getByRole("checkbox", { name: /invoice\.pdf/ })).toBeChecked();
  await page.getByLabel("Reply to Mia Novak").fill("Here it is again.");
  // The open conversation's controls, with both disclosures open, pass axe.
  await page.getByText("Merge into another conversation").click();
  const axe = await new AxeBuilder({ page }).include("main").analyze();
  const serious = axe.violations
    .filter((v) => v.impact === "critical" || v.impact === "serious")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`);
  expect(serious).toEqual([]);
  await page.screenshot({ path: test.info().outputPath("attach-desktop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath("attach-phone.png"), fullPage: true });
  await page.getByRole("button", { name: "Send reply" }).click();
  const sent = conversation.getByRole("listitem").filter({ hasText: "Here it is again." });
  await expect(sent.getByRole("list", { name: "Attachments" })).toContainText("invoice.pdf");
  await page.screenshot({ path: test.info().outputPath("sent-phone.png"), fullPage: true });
});
