// The operator's version, stated once in package.json (which the image carries beside dist/): the OpenAPI
// document and the default sandbox images use it, and `make generate` writes it into the chart's
// Chart.yaml as version and appVersion, whose templates default the image tags to it.
import { readFileSync } from 'node:fs';

export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
