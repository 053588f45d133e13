/**
 * Prints one closing line in the plain "N passed, N failed, N skipped" form after Jest's own
 * summary, so a CI log reader that knows no Jest still sees the counts.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
