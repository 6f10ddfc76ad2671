// Counts the leaf test cases of a JUnit report: passed, failed, skipped. Deno reports each
// describe block as a test case too; its leaves are named "block > test".
import { readFileSync } from "node:fs"

const [file, runner] = process.argv.slice(2)
let xml = ""
try {
  xml = readFileSync(file, "utf8")
} catch {
  console.log("0 0 0")
  process.exit(0)
}
let passed = 0, failed = 0, skipped = 0
for (const [, attrs, body = ""] of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
  const name = /name="([^"]*)"/.exec(attrs)?.[1] ?? ""
  if (runner === "deno" && !name.includes("&gt;")) continue
  if (/<(failure|error)\b/.test(body)) failed++
  else if (/<skipped\b/.test(body)) skipped++
  else passed++
}
console.log(`${passed} ${failed} ${skipped}`)
