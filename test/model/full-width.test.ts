// Full-width synthetic models (Llama-3.2-1B: 2048 wide, ff 8192, 32/8 heads; BitNet-b1.58-2B:
// 2560 wide, ff 6912, 20/5 heads; one layer each, make-model's type mix) against the float64
// reference on the same weights. The narrowed models of quantized-synthetic.test.ts check 16
// free-running greedy tokens; here, at real widths:
//   - last-token logits within NMSE 1e-3;
//   - 16 teacher-forced steps (both sides fed the reference's greedy tokens): NMSE ≤ 1e-3 at
//     every step, and the engine's argmax is the reference's, except where the reference's own
//     top two are closer than the engine's measured error: random std-0.02 weights make a
//     32000-way near-tie (top-2 gap ≈ 0.2 of the logits' spread on average, exponentially
//     distributed), and the int8 activations every quantized CPU engine uses (llama.cpp's
//     Q8_0/Q8_K too) perturb logits by ≈ 1–2 % of that spread. Such steps are counted and
//     printed, never more than a quarter of them;
//   - BitNet (ternary weights, per-token int8 activations as the model defines them, exact
//     int16 tables): the same 16 free-running greedy tokens, since the arithmetic is exact.
// One flavor (relaxed) to keep the suite's time: the flavors share all code but the
// instruction choice, which the narrowed tests cover for both.
import { describe, expect, it } from 'vitest';
import { byteSourceFromBuffer } from '../../src/gguf/reader.ts';
import { loadLlamaModel } from '../../src/model/llama.ts';
import { loadReference } from '../reference/forward.ts';
import { argmax, nmse } from './logits.ts';
import { synthFiles } from './synth-files.ts';

const synth = synthFiles('lutra-fullwidth-');

const CASES: Array<[string, string, boolean]> = [
  ['llama-3.2-1b', 'Q4_0', false],
  ['llama-3.2-1b', 'Q2_K', false],
  ['llama-3.2-1b', 'Q4_K', false],
  ['bitnet-b1.58-2b', 'TQ2_0', true],
  ['bitnet-b1.58-2b', 'TQ1_0', true],
];

describe('full-width synthetic models vs the float64 reference (relaxed, 1 layer)', () => {
  it.each(CASES)('%s %s', async (shape, type, exact) => {
    const { bytes, gguf } = await synth([shape, '--type', type, '--layers', '1']);
    const ref = loadReference(gguf, bytes);
    const model = await loadLlamaModel(gguf, byteSourceFromBuffer(bytes), { flavor: 'relaxed', contextLength: 64 });
    try {
      const prompt = [1, 450, 2501, 29871, 13, 3118, 2462, 263];
      const refTokens = ref.greedy(prompt, 16);
      const refLogits = ref.forward([...prompt, ...refTokens.slice(0, 15)]); // teacher forcing
      let got: Float32Array = new Float32Array(0);
      prompt.forEach((id, pos) => { got = model.forward(id, pos); });
      const first = nmse(got, refLogits[prompt.length - 1]);
      expect(first).toBeLessThanOrEqual(1e-3);
      let worst = first, nearTies = 0;
      const mine: number[] = [];
      for (let step = 0; step < 16; step++) {
        const want = refLogits[prompt.length - 1 + step];
        const e = nmse(got, want);
        worst = Math.max(worst, e);
        expect(e).toBeLessThanOrEqual(1e-3);
        const a = argmax(got), b = refTokens[step];
        mine.push(a);
        if (a !== b) {
          let rms = 0, ss = 0;
          for (let i = 0; i < want.length; i++) { rms += (got[i] - want[i]) ** 2; ss += want[i] ** 2; }
          rms = Math.sqrt(rms / want.length);
          const gap = want[b] - want[a];
          // a near-tie: the reference's top two closer than 4 × the engine's rms logit error
          expect(gap, `step ${step}: engine ${a}, reference ${b}, reference gap ${gap}, rms error ${rms}`).toBeLessThan(4 * rms);
          nearTies++;
        }
        if (step < 15) got = model.forward(b, prompt.length + step);
      }
      expect(nearTies).toBeLessThanOrEqual(4);
      console.log(`${shape} ${type}: last-token NMSE ${first.toExponential(2)}, worst over 16 teacher-forced steps ${worst.toExponential(2)}; argmax differs at ${nearTies}/16 steps, each a near-tie`);
      if (exact) {
        // free-running greedy: every token equal (exact integer arithmetic on the model's own int8 activations)
        const free: number[] = [];
        let logits: Float32Array = new Float32Array(0);
        prompt.forEach((id, pos) => { logits = model.forward(id, pos); });
        for (let pos = prompt.length; free.length < 16; pos++) {
          const t = argmax(logits);
          free.push(t);
          logits = model.forward(t, pos);
        }
        expect(free).toEqual(refTokens);
      }
    } finally {
      model.dispose();
    }
  }, 300_000);
});
