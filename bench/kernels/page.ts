// Kernel benchmark page: for each flavor, one shared memory, a driver worker (thread 0)
// and a helper worker (thread 1) parked in the C job loop. memory.atomic.wait is not
// allowed on the main thread, so thread 0 is a worker too.
import { compileKernels, createSharedMemory } from '../../src/wasm/module.ts';
import type { SimdFlavor } from '../../src/wasm/flavor.ts';

declare global { interface Window { __bench?: unknown; __benchError?: string } }

const params = new URLSearchParams(location.search);
const flavors = (params.get('flavors') ?? 'simd128,relaxed').split(',') as SimdFlavor[];
const quick = params.get('quick') === '1';

function log(s: string) {
  console.log(s);
  document.getElementById('log')!.textContent += s + '\n';
}

async function runFlavor(flavor: SimdFlavor) {
  const module = await compileKernels(flavor);
  const memory = createSharedMemory(400 << 20, 2 ** 31);
  const helper = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const driver = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise<unknown>((resolve, reject) => {
    driver.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'log') log(`[${flavor}] ${m.text}`);
      else if (m.type === 'ready') helper.postMessage({ role: 'helper', module, memory, ctl: m.ctl, stack: m.helperStack });
      else if (m.type === 'done') { helper.terminate(); driver.terminate(); resolve(m.result); }
      else if (m.type === 'error') reject(new Error(m.text));
    };
    helper.onerror = (e) => reject(new Error(`helper: ${e.message}`));
    driver.onerror = (e) => reject(new Error(`driver: ${e.message}`));
    driver.postMessage({ role: 'driver', module, memory, flavor, quick });
  });
}

(async () => {
  try {
    const out: Record<string, unknown> = {};
    for (const f of flavors) out[f] = await runFlavor(f);
    window.__bench = out;
  } catch (e) {
    window.__benchError = String((e as Error)?.stack ?? e);
  }
})();
