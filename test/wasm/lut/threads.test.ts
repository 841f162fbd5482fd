// The C job loop and spin-then-wait barrier (wasm/src/threads): a second thread (a Node
// worker_thread over the same shared memory) parks in lt_thr_worker; thread 0 posts jobs.
// Row-split results must equal the single-thread results bit for bit.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Worker } from 'node:worker_threads';
import { FLAVORS, Harness, gauss } from './harness.ts';
import { CTL_ARGS, Job, TabMode } from '../../../src/kernels/lut.ts';

const WORKER_SRC = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctl, stack } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
inst.exports.__stack_pointer.value = stack + (1 << 20);
parentPort.postMessage('parked');
inst.exports.lt_thr_worker(ctl, 1, 0);
parentPort.postMessage('stopped');
`;

for (const flavor of FLAVORS) {
  describe(`threads: job loop and barrier (${flavor})`, () => {
    let h: Harness, ctl: number, worker: Worker, module: WebAssembly.Module;
    beforeAll(async () => {
      h = await Harness.create(flavor);
      // the harness compiled the module; compile again to share it with the worker
      const { compileKernels } = await import('../../../src/wasm/module.ts');
      module = await compileKernels(flavor);
      const stack = h.alloc(1 << 20);
      ctl = h.alloc(h.k.lt_thr_ctl_bytes());
      h.k.lt_thr_init(ctl, 2, 2000);
      worker = new Worker(WORKER_SRC, { eval: true, workerData: { module, memory: h.inst.memory, ctl, stack } });
      await new Promise((r) => worker.once('message', r));
    });
    afterAll(async () => {
      const stopped = new Promise((r) => worker.once('message', r));
      h.k.lt_thr_stop(ctl);
      await stopped;
      await worker.terminate();
    });

    const setArgs = (a: number[]) => {
      const u = new Uint32Array(h.buf, ctl + CTL_ARGS, 32), f = new Float32Array(h.buf, ctl + CTL_ARGS, 32);
      a.forEach((x, i) => { if (Number.isInteger(x)) u[i] = x >>> 0; else f[i] = x; });
    };

    it('LUT GEMM and MAD GEMM split over 2 threads equal 1 thread; 300 back-to-back jobs', () => {
      const M = 256, K = 512, G = 128, nt = 3;
      const base = h.alloc(0);
      void base;
      const wb = h.k.lt_lut_weight_bytes(2, M, K, G, 0), W = h.alloc(wb);
      h.k.lt_lut_bench_fill(W, wb, 5);
      const mb = h.k.lt_mad_weight_bytes(2, M, K, G, 0), Wm = h.alloc(mb);
      h.k.lt_lut_bench_fill(Wm, mb, 6);
      const ts = (h.k.lt_lut_table_bytes(K, 64, TabMode.I8) + 63) & ~63, tab = h.alloc(ts * nt);
      const as = (h.k.lt_mad_act_bytes(K, 64) + 63) & ~63, act = h.alloc(as * nt);
      for (let n = 0; n < nt; n++) {
        const x = h.putF32(gauss(K));
        h.k.lt_lut_build(tab + n * ts, x, K, 64, TabMode.I8);
        h.k.lt_mad_quant(act + n * as, x, K, 64);
      }
      const y1 = h.alloc(4 * M * nt), y2 = h.alloc(4 * M * nt);
      const lut = (y: number) => { setArgs([W, 2, K, G, 0, 2.5, tab, TabMode.I8, 64, nt, ts, y, M]); return h.k.lt_thr_run(ctl, Job.LUT_MM, 0, M, 32); };
      const mad = (y: number) => { setArgs([Wm, 2, K, G, 0, 2.5, act, 64, nt, as, y, M]); return h.k.lt_thr_run(ctl, Job.MAD_MM, 0, M, 16); };
      h.k.lt_thr_set_threads(ctl, 1);
      expect(lut(y1)).toBe(0);
      h.k.lt_thr_set_threads(ctl, 2);
      for (let i = 0; i < 300; i++) expect(lut(y2)).toBe(0);
      expect(Array.from(h.f32(y2, M * nt))).toEqual(Array.from(h.f32(y1, M * nt)));
      h.k.lt_thr_set_threads(ctl, 1);
      expect(mad(y1)).toBe(0);
      h.k.lt_thr_set_threads(ctl, 2);
      expect(mad(y2)).toBe(0);
      expect(Array.from(h.f32(y2, M * nt))).toEqual(Array.from(h.f32(y1, M * nt)));
    });

    it('errors from any thread come back from lt_thr_run', () => {
      const y = h.alloc(4 * 64);
      h.k.lt_thr_set_threads(ctl, 2);
      setArgs([0, 2, 256, 100, 0, 2.5, 0, TabMode.I8, 64, 1, 0, y, 64]); // G = 100: not a multiple of 16
      expect(h.k.lt_thr_run(ctl, Job.LUT_MM, 0, 64, 32)).toBe(-3);
    });
  });
}
