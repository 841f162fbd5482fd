// Helpers shared by the benchmark pages (they run in the browser; bench/lib/harness.ts drives them).

/** The middle value (the upper one of an even count). */
export const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];

/** Appends a line to the page's <pre id="log"> and to the console (which the driver prints). */
export function pageLog(): (s: string) => void {
  const box = document.getElementById('log')!;
  return (s) => { box.textContent += s + '\n'; console.log(s); };
}
