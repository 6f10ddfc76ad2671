// A fetch that records what each request carried before handing it on, raw (the mock's journal redacts).

/** A request as sent: method, URL, and every header with its real value. */
export interface Sent {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** Wraps `fetch`; `sent` fills as requests go out. */
export const recording = (fetch: typeof globalThis.fetch) => {
  const sent: Array<Sent> = []
  const wrapped = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.clone().text()
    sent.push({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body })
    return fetch(request)
  }) as typeof globalThis.fetch
  return { fetch: wrapped, sent }
}
