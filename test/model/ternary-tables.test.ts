// The ternaryTables load option on the narrowed BitNet-b1.58-2B synthetic models (the shapes of
// quantized-synthetic.test.ts), TQ2_0 and TQ1_0, against the float64 reference forward pass:
// 'exact' (the default: per-token int8 activations, exact int16 tables) is BitNet's own arithmetic
// (NMSE ~1e-13); 'int8' (the same activations, int8 tables, one lookup instead of two) stays within
// NMSE 3e-3 of the reference (measured 1.3e-3) and really gives other logits; the engine report
// names the tables.
import { describe, expect, it } from 'vitest';
import { byteSourceFromBuffer } from '../../src/gguf/reader.ts';
import { loadLlamaModel } from '../../src/model/llama.ts';
import { LocalEngine } from '../../src/engine/local-engine.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { loadReference } from '../reference/forward.ts';
import { FLAVORS } from '../wasm/harness.ts';
import { nmse } from './logits.ts';
import { synthFiles } from './synth-files.ts';

const synth = synthFiles('lutra-terntab-');

const BITNET = ['--layers', '2', '--embd', '256', '--ff', '768', '--heads', '4', '--kv-heads', '2', '--head-dim', '64'];
const CASES: Array<[string, string[]]> = [
  ['bitnet-b1.58-2b TQ2_0', ['bitnet-b1.58-2b', '--type', 'TQ2_0', ...BITNET]],
  ['bitnet-b1.58-2b TQ1_0', ['bitnet-b1.58-2b', '--type', 'TQ1_0', ...BITNET]],
];
const PROMPT = [1, 450, 2501, 29871, 13, 3118, 2462, 263];

describe.each(FLAVORS)('ternaryTables (%s)', (flavor) => {
  it.each(CASES)("%s: 'int8' within NMSE 3e-3 of the float64 reference, and not the exact tables", async (name, argv) => {
    const { bytes, gguf } = await synth(argv);
    const ref = loadReference(gguf, bytes).forward(PROMPT);
    const refLast = ref[ref.length - 1];
    const run = async (ternaryTables?: 'exact' | 'int8') => {
      const model = await loadLlamaModel(gguf, byteSourceFromBuffer(bytes), { flavor, contextLength: 64, ternaryTables });
      expect(model.ternaryTables).toBe(ternaryTables ?? 'exact');
      let logits = new Float32Array(0);
      PROMPT.forEach((id, pos) => { logits = model.forward(id, pos).slice(); });
      // prefill (mpGEMM) gives the same last logits as token-by-token decoding in either mode
      expect(nmse(model.prefill(PROMPT, 0), logits)).toBeLessThan(1e-10);
      model.dispose();
      return logits;
    };
    const exact = await run(), int8 = await run('int8');
    const eExact = nmse(exact, refLast), eInt8 = nmse(int8, refLast);
    console.log(`${name} (${flavor}): last-token NMSE vs float64, exact tables ${eExact.toExponential(2)}, int8 tables ${eInt8.toExponential(2)}`);
    expect(eExact).toBeLessThan(1e-10);
    expect(eInt8).toBeLessThanOrEqual(3e-3);
    // the option switched the kernel's tables: the logits moved by far more than float rounding
    expect(nmse(int8, exact)).toBeGreaterThan(1e-6);
  });
});

describe('ternaryTables in the engine', () => {
  it("is passed through LocalEngine.load and named in the report's kernels", async () => {
    const { bytes } = await synth(CASES[0][1]);
    const engine = new LocalEngine();
    const report = await engine.load({ bytes }, { contextLength: 64, ternaryTables: 'int8' });
    const keys = Object.keys(report.kernels);
    expect(keys).toContain('TQ2_0 → lut (int8 tables)');
    expect(keys.some((k) => k.endsWith('→ lut'))).toBe(false);
    expect(Object.values(report.kernelByTensor)).toContain('lut (int8 tables)');
    const exact = await engine.load({ bytes }, { contextLength: 64 });
    expect(Object.keys(exact.kernels)).toContain('TQ2_0 → lut');
    await expect(engine.load({ bytes }, { contextLength: 64, ternaryTables: 'int4' as 'int8' })).rejects.toThrow(InvalidArgumentError);
  });
});
