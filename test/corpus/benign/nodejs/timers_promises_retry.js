// corpus: benign
// A retry helper with timers/promises and exponential backoff.
import { setTimeout as delay } from 'node:timers/promises';

async function retry(task, attempts = 4) {
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await task(attempt);
    } catch (error) {
      lastError = error;
      await delay(2 ** attempt);
    }
  }
  throw lastError;
}

export async function main() {
  const result = await retry(async (attempt) => {
    if (attempt < 2) throw new Error(`attempt ${attempt} failed`);
    return `succeeded on attempt ${attempt}`;
  });
  return { result };
}
