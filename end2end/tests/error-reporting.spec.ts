import { expect, test, type Page } from "@playwright/test";
import { signUpQuickly, uniqueEmail, waitForHydration } from "./support";

// scripts/e2e.sh starts a Bugsink (a Sentry-compatible server) and points
// SENTRY_BROWSER_DSN at one of its projects.
const bugsink = process.env.E2E_BUGSINK_URL ?? "";
const token = process.env.E2E_BUGSINK_TOKEN ?? "";
const project = process.env.E2E_BUGSINK_PROJECT ?? "";

type SentEvent = {
  level?: string;
  platform?: string;
  release?: string;
  environment?: string;
  transaction?: string;
  tags?: Record<string, string> | [string, string][];
  exception?: { values: { type: string; value: string; stacktrace?: { frames: unknown[] } }[] };
};

async function api(path: string): Promise<any> {
  const response = await fetch(`${bugsink}/api/canonical/0/${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.ok, `Bugsink ${path}: ${response.status}`).toBe(true);
  return response.json();
}

/** Every event the project received, as the page sent it (after the tunnel). */
async function received(): Promise<SentEvent[]> {
  const events: SentEvent[] = [];
  for (const issue of (await api(`issues/?project=${project}`)).results) {
    for (const listed of (await api(`events/?issue=${issue.id}`)).results) {
      events.push((await api(`events/${listed.id}/`)).data);
    }
  }
  return events;
}

function tag(event: SentEvent, name: string): string | undefined {
  const tags = event.tags ?? {};
  return Array.isArray(tags) ? tags.find(([key]) => key === name)?.[1] : tags[name];
}

async function eventsWhere(match: (event: SentEvent) => boolean, count: number): Promise<SentEvent[]> {
  let found: SentEvent[] = [];
  await expect
    .poll(async () => {
      found = (await received()).filter(match);
      return found.length;
    }, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(count);
  return found;
}

const value = (event: SentEvent) => event.exception?.values.at(-1)?.value ?? "";

async function signedIn(page: Page) {
  await signUpQuickly(page.request, `Errors Clinic ${uniqueEmail("errors")}`, uniqueEmail("errors"));
}

test.beforeAll(() => {
  expect(bugsink && token && project, "E2E_BUGSINK_* must name the Bugsink that scripts/e2e.sh starts").toBeTruthy();
});

test("script errors and unhandled rejections reach error tracking without personal data", async ({ page }) => {
  await signedIn(page);
  await page.goto("/calendar");
  await waitForHydration(page);
  const release = await page.locator("meta[name=error-reporting]").getAttribute("data-release");
  expect(release).toBeTruthy();
  const marker = `m${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  await page.evaluate((marker) => {
    setTimeout(() => {
      throw new TypeError(`thrown ${marker} while saving ann@example.com`);
    });
    void Promise.reject(new Error(`rejected ${marker} for +49 30 3106454`));
  }, marker);

  const events = await eventsWhere((e) => value(e).includes(marker), 2);
  expect(events).toHaveLength(2);
  const thrown = events.find((e) => tag(e, "source") === "error");
  const rejected = events.find((e) => tag(e, "source") === "unhandledrejection");
  expect(thrown?.exception?.values.at(-1)?.type).toBe("TypeError");
  expect(value(thrown!)).toBe(`thrown ${marker} while saving [email]`);
  expect(value(rejected!)).toBe(`rejected ${marker} for [phone]`);
  for (const event of events) {
    expect(event.release).toBe(release);
    expect(event.environment).toBe("e2e");
    expect(event.transaction).toBe("/calendar");
    expect(tag(event, "route")).toBe("/calendar");
    expect(event.platform).toBe("javascript");
    const sent = JSON.stringify(event).toLowerCase();
    expect(sent).not.toContain("cookie");
    expect(sent).not.toContain("ann@example.com");
  }
  // Where it was thrown, as frames.
  expect(thrown?.exception?.values.at(-1)?.stacktrace?.frames.length).toBeGreaterThan(0);
});

test("a panic of the browser app is reported once, with its route and release", async ({ page }) => {
  await signedIn(page);
  const clientId = "0190a0b0-0000-7000-8000-000000000001";
  // A page changed on its way (a proxy, an extension) no longer matches what
  // the app renders: hydration panics.
  await page.route(`**/clients/${clientId}`, async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace(/<main[\s\S]*<\/main>/, "<main><p>changed</p></main>");
    await route.fulfill({ response, body: html });
  });
  const panicked = page.waitForEvent("console", (msg) => msg.type() === "error" && msg.text().includes("panicked"));
  await page.goto(`/clients/${clientId}`);
  await panicked;
  const release = await page.locator("meta[name=error-reporting]").getAttribute("data-release");

  const panics = await eventsWhere((e) => tag(e, "source") === "panic" && tag(e, "route") === "/clients/{id}", 1);
  expect(panics).toHaveLength(1);
  const [panic] = panics;
  expect(panic.level).toBe("fatal");
  expect(panic.release).toBe(release);
  expect(panic.environment).toBe("e2e");
  expect(panic.transaction).toBe("/clients/{id}");
  expect(panic.exception?.values.at(-1)?.type).toBe("panic");
  // The trap that ends the app after the panic is the same failure: not a second report.
  await page.waitForTimeout(1_000);
  const after = (await received()).filter((e) => tag(e, "route") === "/clients/{id}" && tag(e, "source") !== "panic");
  expect(after, JSON.stringify(after)).toHaveLength(0);
});
