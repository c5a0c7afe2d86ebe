import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { addClient, signUpQuickly, uniqueEmail, waitForHydration } from "./support";

// A 1×1 PNG and a minimal PDF.
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489" +
    "0000000d49444154789c63f0aabef01f00053d02959f9997e60000000049454e44ae426082",
  "hex",
);
const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

test("upload two files to a client with progress, preview the image, download the PDF, delete one", async ({ page }) => {
  test.setTimeout(60_000);
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await signUpQuickly(page.request, `Files Clinic ${Date.now()}`, uniqueEmail("files"));

  const clientId = await addClient(page.request, { name: "Gail Files" });

  await page.goto(`/clients/${clientId}`);
  await waitForHydration(page);
  const files = page.getByRole("region", { name: "Files" });
  await files.getByLabel("Choose files").setInputFiles([
    { name: "photo.png", mimeType: "image/png", buffer: PNG },
    { name: "consent.pdf", mimeType: "application/pdf", buffer: PDF },
  ]);

  // Each file gets its own progress bar, which fills up.
  const uploads = files.getByRole("list", { name: "Uploads" });
  await expect(uploads.getByRole("listitem")).toHaveCount(2);
  for (const name of ["photo.png", "consent.pdf"]) {
    const bar = uploads.getByRole("progressbar", { name: `Uploading ${name}` });
    await expect(bar).toHaveAttribute("value", "100");
  }
  await expect(uploads.locator("li[data-state=done]")).toHaveCount(2);

  const table = files.locator("table.file-list");
  await expect(table.locator("tbody tr[data-file]")).toHaveCount(2);
  const photo = table.locator("tr[data-file]", { hasText: "photo.png" });
  const consent = table.locator("tr[data-file]", { hasText: "consent.pdf" });
  await expect(photo).toContainText("PNG");
  await expect(consent).toContainText("PDF");
  await expect(consent).toContainText(`${PDF.length} bytes`);
  await expect(consent).toContainText("Owner of Files Clinic");
  await expect(page.getByRole("list", { name: "Timeline" })).toContainText("File added: consent.pdf");

  // Preview the image in place.
  await photo.getByRole("button", { name: "Preview" }).click();
  const image = files.getByRole("img", { name: "Preview of photo.png" });
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);

  // Download the PDF through its signed link.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    consent.getByRole("link", { name: "Download" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("consent.pdf");
  expect(readFileSync((await download.path())!)).toEqual(PDF);

  // Delete the image, confirming.
  page.once("dialog", (dialog) => {
    expect(dialog.message()).toContain("Delete photo.png?");
    void dialog.accept();
  });
  await photo.getByRole("button", { name: "Delete" }).click();
  await expect(table.locator("tbody tr[data-file]")).toHaveCount(1);
  await expect(table).not.toContainText("photo.png");
  await expect(table).toContainText("consent.pdf");

  expect(errors).toEqual([]);
});
