// Sums vitest's JSON results of every suite into the one line CI reads:
// "tests: N passed, N failed". A suite that wrote no results counts as one failure.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [dir, ...suites] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const suite of suites) {
  let results;
  try {
    results = JSON.parse(readFileSync(join(dir, `${suite}.json`), "utf8"));
  } catch {
    console.log(`${suite}: no results (the suite did not run)`);
    failed += 1;
    continue;
  }
  const ranNothing = results.numTotalTests === 0;
  // A test file that failed to load, or an unhandled error, fails the suite without failing a test.
  const unexplained = !results.success && results.numFailedTests === 0;
  const suiteFailed = results.numFailedTests + (ranNothing || unexplained ? 1 : 0);
  console.log(`${suite}: ${results.numPassedTests} passed, ${suiteFailed} failed, ${results.numPendingTests + results.numTodoTests} skipped`);
  passed += results.numPassedTests;
  failed += suiteFailed;
  skipped += results.numPendingTests + results.numTodoTests;
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
