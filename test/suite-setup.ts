// uvu 0.5 drops what a before hook throws (its runner returns from a `finally`): the suite's tests then
// count as failed (test/run.ts counts them) with nothing said why. A suite's set-up goes through this.
import type { Test } from 'uvu';

/** Registers `setUp` as `suite`'s before hook; what it throws is printed, naming `name`, before uvu drops it. */
export function setUpSuite(suite: Test, name: string, setUp: () => Promise<void>): void {
  suite.before(async () => {
    try {
      await setUp();
    } catch (err) {
      console.error(`${name} setup failed:`, err);
      throw err;
    }
  });
}
