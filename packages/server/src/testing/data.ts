import { fileURLToPath } from 'node:url';

/** Real data shipped in the vega-datasets package. */
export function vegaData(file: string): string {
  return fileURLToPath(new URL(`../../../../node_modules/vega-datasets/data/${file}`, import.meta.url));
}
