// Counts the leaf test cases of a JUnit report: passed, failed, skipped.
import { readFileSync } from "node:fs"

const [file, runner] = process.argv.slice(2)
let xml = ""
try {
  xml = readFileSync(file, "utf8")
} catch {
  console.log("0 0 0")
  process.exit(0)
}
const cases = [...xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map(([, attrs, body = ""]) => ({
  name: /name="([^"]*)"/.exec(attrs)?.[1] ?? "",
  body,
}))
// Deno lists every describe block as a case too: a leaf is a case no other case is nested in.
const names = cases.map((c) => c.name)
const isLeaf = (name) => runner !== "deno" || !names.some((other) => other.startsWith(`${name} &gt; `))
let passed = 0, failed = 0, skipped = 0
for (const { name, body } of cases) {
  if (!isLeaf(name)) continue
  if (/<(failure|error)\b/.test(body)) failed++
  else if (/<skipped\b/.test(body)) skipped++
  else passed++
}
console.log(`${passed} ${failed} ${skipped}`)
