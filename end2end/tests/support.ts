import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const PASSWORD = "correct horse battery";

/** A fresh, unique email address for one test. */
export function uniqueEmail(who: string): string {
  return `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Creates a business and its owner through the API; the context is then signed in. */
export async function signUpQuickly(request: APIRequestContext, business: string, email: string): Promise<void> {
  const response = await request.post("/api/sign-up", {
    form: { business_name: business, slug: "", time_zone: "Europe/Berlin", name: `Owner of ${business}`, email, password: PASSWORD },
    maxRedirects: 0,
  });
  expect(response.status(), await response.text()).toBeLessThan(400);
  // Verified, as its owner would by opening the emailed link.
  const link = await latestLink("/verify-email", email);
  const token = new URL(link).searchParams.get("token") ?? "";
  const verified = await request.post("/api/verify-email", { form: { token }, maxRedirects: 0 });
  expect(verified.status(), await verified.text()).toBeLessThan(400);
}

/** The newest link to `path` in the development outbox (one .eml file per
 * message), waiting for a background worker to send it. */
export async function latestLink(path: string, to: string): Promise<string> {
  const dir = process.env.E2E_OUTBOX;
  if (!dir) throw new Error("E2E_OUTBOX must name the server's MAIL_OUTBOX_DIR");
  const find = (): string | undefined => {
    const messages = readdirSync(dir)
      .map((name) => join(dir, name))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
      .map((file) => readFileSync(file, "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "="))
      .filter((text) => text.includes(`To: ${to}`));
    const last = messages.at(-1);
    const match = last && new RegExp(`https?://[^\\s"<]+${path}\\?token=[0-9a-f]+`).exec(last);
    return match ? match[0] : undefined;
  };
  for (let waited = 0; waited < 10_000; waited += 100) {
    const link = find();
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no email to ${to} with a ${path} link within 10 s`);
}

export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("[data-hydrated=true]")).toHaveCount(1);
}

/** Adds a client through the app's own form endpoint; returns their id. */
export async function addClient(
  request: APIRequestContext,
  client: { name: string; email?: string; phone?: string },
): Promise<string> {
  const saved = await request.post("/api/save-client", {
    headers: { Accept: "application/json" },
    form: { name: client.name, email: client.email ?? "", phone: client.phone ?? "", notes: "", tags: "" },
    maxRedirects: 0,
  });
  expect(saved.status(), await saved.text()).toBeLessThan(400);
  return saved.status() >= 300 ? saved.headers()["location"].split("/").at(-1)! : (await saved.json()).client.id;
}

/** Adds a provider working `hours` (like "09:00-17:00") every day; returns their id. */
export async function addProvider(request: APIRequestContext, name: string, hours = "09:00-17:00"): Promise<string> {
  const form: Record<string, string> = { name, time_zone: "Europe/Berlin", colour: "#3366cc" };
  for (let day = 0; day < 7; day++) form[`hours[${day}]`] = hours;
  const saved = await request.post("/api/save-provider", { headers: { Accept: "application/json" }, form });
  expect(saved.status(), await saved.text()).toBe(200);
  return (await saved.json()).id;
}

/** Adds a service anyone performs; `kinds` are the resource kinds it needs. */
export async function addService(request: APIRequestContext, name: string, minutes: number, kinds = ""): Promise<string> {
  const saved = await request.post("/api/save-service", {
    headers: { Accept: "application/json" },
    form: {
      name, duration_minutes: String(minutes), price: "45.00", currency: "EUR",
      buffer_before_minutes: "0", buffer_after_minutes: "0", colour: "#2f855a", resource_kinds: kinds,
    },
  });
  expect(saved.status(), await saved.text()).toBe(200);
  return (await saved.json()).id;
}

/** Books through the app's own endpoint; `at` is an instant. */
export async function book(
  request: APIRequestContext,
  ids: { client: string; service: string; provider: string },
  at: Date,
): Promise<void> {
  const booked = await request.post("/api/book", {
    headers: { Accept: "application/json" },
    form: {
      "form[client_id]": ids.client, "form[service_id]": ids.service, "form[provider_id]": ids.provider,
      "form[starts_at]": at.toISOString(), "form[notes]": "",
    },
  });
  expect(booked.status(), await booked.text()).toBe(200);
}

// scripts/e2e.sh starts a Dovecot with this user; mail is delivered with doveadm.
const imapPort = process.env.E2E_IMAP_PORT ?? "";
export const dovecotConf = process.env.E2E_DOVECOT_CONF ?? "";
export const DESK = "desk@example.com";

/** Delivers `raw` (lines ending in \n) to the desk's `folder`. */
export function deliver(raw: string, folder = "INBOX"): void {
  execFileSync("doveadm", ["-c", dovecotConf, "save", "-u", DESK, "-m", folder], { input: raw.replace(/\n/g, "\r\n") });
}

/** Connects the desk's mailbox in Settings > Mailboxes and waits for its first sync. */
export async function connectMailbox(page: Page): Promise<void> {
  await page.goto("/settings/mailboxes");
  await waitForHydration(page);
  // The form is filled once the page has settled, and seen saved before the sync is awaited.
  await page.waitForLoadState("networkidle");
  await page.getByLabel("Name", { exact: true }).fill("Front desk");
  await page.getByLabel("Email address").fill(DESK);
  const imap = page.getByRole("group", { name: "Incoming mail (IMAP)" });
  await imap.getByLabel("Server").fill("127.0.0.1");
  await imap.getByLabel("Security").selectOption("none");
  await imap.getByLabel("Port (empty: the usual one)").fill(imapPort);
  await imap.getByLabel("User name").fill(DESK);
  await imap.getByLabel("Password", { exact: true }).fill("e2e-imap-password");
  await page.getByRole("button", { name: "Connect" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  const row = page.getByRole("table", { name: "Mailboxes" }).getByRole("row").filter({ hasText: "Front desk" });
  // The first sync runs in the background; the table says when it is done.
  await expect(async () => {
    await page.reload();
    await expect(row.getByText("In sync")).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
}

/** Opens the inbox and waits for a conversation naming `text`. */
export async function openConversation(page: Page, text: string): Promise<void> {
  await expect(async () => {
    await page.goto("/inbox");
    await expect(page.getByRole("region", { name: "Conversations" }).getByRole("link").filter({ hasText: text })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await waitForHydration(page);
  await page.getByRole("region", { name: "Conversations" }).getByRole("link").filter({ hasText: text }).click();
  await expect(page.getByRole("heading", { level: 2 })).toContainText(text);
}
