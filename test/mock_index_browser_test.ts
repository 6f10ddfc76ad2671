import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { existsSync } from "node:fs"
import { createMock, serveMock } from "../mock/mod.ts"

/** Debian's chromium, which `.ci/browser.sh` installs. */
const CHROMIUM = "/usr/bin/chromium"
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

// playwright-core probes /proc/sys for WSL when it loads, which Deno allows only under -A; with
// this variable set (its bundled is-wsl's test switch) the probe waits until asked, and never is.
process.env.__IS_WSL_TEST__ = "1"
/** playwright-core, when it is installed (a devDependency). */
const playwright = await import("playwright-core").catch(() => undefined)
const missing = !existsSync(CHROMIUM)
  ? `no browser at ${CHROMIUM} (.ci/browser.sh installs Debian's chromium)`
  : playwright === undefined
  ? "playwright-core is not installed (npm ci installs it)"
  : undefined
if (missing !== undefined) console.log(`SKIPPED the index page's browser test: ${missing}`)

describe("the index page in a real browser", () => {
  it("loads, lists every API with its base URL and documents, and shows a request made after it opened", {
    skip: missing ?? false,
  }, async () => {
    const mock = createMock()
    const server = await serveMock(mock, { port: 0 })
    const browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    try {
      const page = await browser.newPage()
      const answer = await page.goto(`${server.url}/`)
      assert.equal(answer?.status(), 200)
      assert.equal(await page.title(), "gatehouse mock")
      const rows = page.locator("#apis tr")
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-api"))), [
        "puid",
        "machineid",
        "apikeys",
        "authpi",
        "puguh",
      ])
      const puid = await page.locator('#apis tr[data-api="puid"]').innerText()
      assert.ok(puid.includes(`${server.url}/puid/api`), puid)
      assert.ok(puid.includes(mock.puid.demo.apiKey), puid)
      assert.equal(
        await page.locator('#apis tr[data-api="puid"] a').first().getAttribute("href"),
        `${server.url}/puid/api/openapi.json`,
      )

      // A request made after the page opened, with markup in its path, and a fault: both appear, as text.
      const quota = await fetch(`${server.url}/puid/api/v1/quota/<b>x</b>`)
      await quota.body?.cancel()
      mock.fault({ api: "machineid", path: "/api/v1/usage", status: 503 })
      const request = page.locator("#requests tr", { hasText: "/puid/api/v1/quota/%3Cb%3Ex%3C/b%3E" })
      await request.waitFor({ timeout: 15_000 })
      const cells = await request.locator("td").allInnerTexts()
      assert.deepEqual(cells.slice(1, 5), ["puid", "GET", "/puid/api/v1/quota/%3Cb%3Ex%3C/b%3E", "404"])
      assert.match(cells[5], /^[\d.]+ ms$/)
      const fault = page.locator("#faults tr", { hasText: "/api/v1/usage" })
      await fault.waitFor({ timeout: 15_000 })
      assert.match(await fault.innerText(), /machineid/)
      assert.equal(await page.locator("#requests b").count(), 0, "a request's path is never markup")
    } finally {
      await browser.close()
      await server.close()
    }
  })
})
