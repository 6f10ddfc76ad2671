/**
 * The mock server's index at `/`: each API (its base URL, demo credentials, OpenAPI documents),
 * the recent requests and the faults in force. HTML for a browser, JSON for
 * `Accept: application/json`. The page has no dependency; it polls the control API for its live
 * view and writes every value as text, so nothing a request carries can become markup.
 *
 * @module
 */
import type { ActiveFault, JournalEntry, Mock } from "./app.ts"

/** How many recent requests the index shows. */
const RECENT = 25

/** One API as the index shows it. */
export interface IndexApi {
  readonly name: string
  readonly title: string
  readonly baseUrl: string
  /** Demo credentials and ids: never real secrets. */
  readonly demo: Readonly<Record<string, string>>
  /** How a caller sends them. */
  readonly credentialHint?: string | undefined
  /** The OpenAPI document, as JSON and as YAML. */
  readonly openapi: { readonly json: string; readonly yaml: string }
}

/** What the index shows, as data: `GET /` with `Accept: application/json`, and `GET /__mock`. */
export interface Index {
  readonly apis: ReadonlyArray<IndexApi>
  /** The mock clock, epoch milliseconds. */
  readonly now: number
}

/** The APIs of `mock` served at `origin`, and the mock clock. */
export const indexOf = (mock: Mock, origin: string): Index => ({
  apis: mock.apis.map((api) => {
    const baseUrl = `${origin}${api.mount}`
    return {
      name: api.name,
      title: api.definition.title,
      baseUrl,
      demo: api.demo,
      credentialHint: api.credentialHint,
      openapi: { json: `${baseUrl}/openapi.json`, yaml: `${baseUrl}/openapi.yaml` },
    }
  }),
  now: mock.clock.now(),
})

/** The index with its live parts: the most recent requests and the faults in force. */
export const liveIndexOf = (
  mock: Mock,
  origin: string,
): Index & { readonly recent: ReadonlyArray<JournalEntry>; readonly faults: ReadonlyArray<unknown> } => ({
  ...indexOf(mock, origin),
  recent: mock.requests({ limit: RECENT }),
  faults: mock.faults().map(faultJson),
})

/** A fault in force as JSON: a RegExp path as `pathPattern`. */
export const faultJson = ({ id, fault, left, hits }: ActiveFault): Record<string, unknown> => {
  const { path, ...rest } = fault
  return { id, ...rest, ...(typeof path === "string" ? { path } : { pathPattern: path.source }), left, hits }
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
}

/** `text` safe inside HTML text and quoted attributes. */
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c])

// The live view: polls the control API and writes each value with textContent, never as markup.
const SCRIPT = `
const cell = (row, text) => row.insertCell().textContent = String(text ?? "")
const fill = (id, rows, columns) => {
  const body = document.getElementById(id)
  body.replaceChildren()
  for (const item of rows) {
    const row = body.insertRow()
    for (const column of columns) cell(row, column(item))
  }
}
const refresh = async () => {
  try {
    const [journal, faults] = await Promise.all([
      fetch("/__mock/journal?limit=${RECENT}").then((r) => r.json()),
      fetch("/__mock/faults").then((r) => r.json()),
    ])
    fill("requests", journal.reverse(), [
      (e) => new Date(e.at).toISOString().slice(11, 23),
      (e) => e.api ?? "-",
      (e) => e.method,
      (e) => e.path,
      (e) => e.status ?? "dropped",
      (e) => e.durationMs === undefined ? "" : e.durationMs + " ms",
    ])
    fill("faults", faults, [
      (f) => f.id,
      (f) => [f.api, f.method, f.path ?? f.pathPattern].filter(Boolean).join(" "),
      (f) => [f.status, f.delayMs === undefined ? "" : "delay " + f.delayMs, f.drop ? "drop" : ""].filter(Boolean).join(", "),
      (f) => f.left ?? "always",
      (f) => f.hits,
    ])
    document.getElementById("updated").textContent = new Date().toISOString()
  } catch (error) {
    document.getElementById("updated").textContent = "disconnected: " + error
  }
}
refresh()
setInterval(refresh, 1000)
`

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222 }
table { border-collapse: collapse; margin-bottom: 1.5rem }
th, td { text-align: left; padding: .2rem .8rem .2rem 0; vertical-align: top }
code { font-size: 13px }
small { color: #777 }
`

/** The index page of `index` as HTML: every value escaped. */
export const indexHtml = (index: Index): string => {
  const apis = index.apis.map((api) => {
    const demo = Object.entries(api.demo)
      .map(([name, value]) => `<div>${escapeHtml(name)}: <code>${escapeHtml(value)}</code></div>`)
      .join("") + (api.credentialHint === undefined ? "" : `<small>send ${escapeHtml(api.credentialHint)}</small>`)
    return `<tr data-api="${escapeHtml(api.name)}"><td><b>${escapeHtml(api.name)}</b><br><small>${
      escapeHtml(api.title)
    }</small></td><td><code>${escapeHtml(api.baseUrl)}</code></td><td>${demo}</td><td><a href="${
      escapeHtml(api.openapi.json)
    }">openapi.json</a> <a href="${escapeHtml(api.openapi.yaml)}">openapi.yaml</a></td></tr>`
  }).join("\n")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gatehouse mock</title><style>${STYLE}</style></head>
<body>
<h1>gatehouse mock</h1>
<h2>APIs</h2>
<table><thead><tr><th>API</th><th>Base URL</th><th>Demo credentials</th><th>OpenAPI</th></tr></thead>
<tbody id="apis">
${apis}
</tbody></table>
<p>Control API: <a href="/__mock">/__mock</a> (every control route, with what it takes).</p>
<h2>Recent requests</h2>
<table><thead><tr><th>At</th><th>API</th><th>Method</th><th>Path</th><th>Status</th><th>Time</th></tr></thead>
<tbody id="requests"></tbody></table>
<h2>Faults in force</h2>
<table><thead><tr><th>Id</th><th>Matches</th><th>Does</th><th>Left</th><th>Hits</th></tr></thead>
<tbody id="faults"></tbody></table>
<small>updated <span id="updated">never</span></small>
<script>${SCRIPT}</script>
</body></html>`
}

/** Whether `request` asks for JSON rather than a page. */
export const wantsJson = (request: Request): boolean => {
  const accept = request.headers.get("accept") ?? ""
  return quality(accept, "application/json") > quality(accept, "text/html")
}

/** The weight `accept` gives `type` (RFC 9110 §12.5.1): its `q`, 1 by default, 0 when it is not listed. */
const quality = (accept: string, type: string): number => {
  for (const part of accept.split(",")) {
    const [media, ...params] = part.split(";").map((s) => s.trim().toLowerCase())
    if (media !== type) continue
    const q = params.find((p) => p.startsWith("q="))
    return q === undefined ? 1 : Number(q.slice(2)) || 0
  }
  return 0
}
