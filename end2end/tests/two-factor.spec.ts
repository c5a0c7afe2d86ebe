import { createHmac } from "node:crypto";
import { expect, test } from "@playwright/test";
import { PASSWORD, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

/** RFC 6238 with the defaults every authenticator app uses (SHA-1, 6 digits, 30 s). */
function totp(base32: string, at: number = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

/** Waits until the authenticator app would show a new code. */
async function nextStep(): Promise<void> {
  const left = 30_000 - (Date.now() % 30_000);
  await new Promise((resolve) => setTimeout(resolve, left + 500));
}

test("set up an authenticator app from the QR page, then sign in with a code", async ({ page }) => {
  test.setTimeout(90_000);
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const email = uniqueEmail("twofactor");
  await signUpQuickly(page.request, `Two Factor Studio ${Date.now()}`, email);

  await page.goto("/profile");
  await waitForHydration(page);
  await expect(page.locator("[data-two-factor=off]")).toBeVisible();
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  const secret = await page.locator("[data-totp-secret]").getAttribute("data-totp-secret");
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  await page.getByLabel("Code from the app").fill("000000");
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByText("that code does not match")).toBeVisible();
  // The browser logs the refused request (422); nothing else may fail.
  errors.length = 0;
  await page.getByLabel("Code from the app").fill(totp(secret!));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator(".recovery-codes li")).toHaveCount(10);
  await expect(page.locator("[data-two-factor=on]")).toContainText("10 recovery codes left");
  await page.screenshot({ path: "test-results/two-factor-enabled.png", fullPage: true });

  // Sign out, then sign in: password first, then a new code from the app.
  await page.request.post("/api/sign-out", { form: {} });
  await page.goto("/signin?next=%2Fclients");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/signin\/code\?next=%2Fclients/);
  await expect(page.getByRole("heading", { name: "Enter your code" })).toBeVisible();
  await nextStep();
  await page.getByLabel("Code").fill(totp(secret!));
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/clients$/);
  await expect(page.getByRole("heading", { name: "Clients" })).toBeVisible();
  expect(errors).toEqual([]);
});
