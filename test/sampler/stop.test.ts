import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { StopStringMatcher } from '../../src/sampler/stop.ts';
import { testRng } from './reference.ts';

/** Streams `chunks` through a matcher; returns all emitted text (plus the flush when not stopped). */
function run(stops: string[], chunks: string[]): { text: string; stopped: boolean; emits: string[] } {
  const m = new StopStringMatcher(stops);
  const emits: string[] = [];
  let stopped = false;
  for (const c of chunks) {
    const r = m.push(c);
    emits.push(r.emit);
    stopped = r.stopped;
  }
  if (!stopped) emits.push(m.flush());
  return { text: emits.join(''), stopped, emits };
}

/** Whole-text reference: cut before the stop occurrence that ends first (longest on ties). */
function reference(stops: string[], text: string): { text: string; stopped: boolean } {
  for (let end = 1; end <= text.length; end++) {
    let best = -1;
    for (const s of stops) {
      if (end >= s.length && text.slice(end - s.length, end) === s) {
        const start = end - s.length;
        if (best < 0 || start < best) best = start;
      }
    }
    if (best >= 0) return { text: text.slice(0, best), stopped: true };
  }
  return { text, stopped: false };
}

describe('StopStringMatcher', () => {
  it('passes text through when there is no stop', () => {
    const m = new StopStringMatcher(['###']);
    expect(m.push('hello')).toEqual({ emit: 'hello', stopped: false });
    expect(m.push(' world')).toEqual({ emit: ' world', stopped: false });
    expect(m.flush()).toBe('');
    expect(run([], ['a', 'b'])).toEqual({ text: 'ab', stopped: false, emits: ['a', 'b', ''] });
  });

  it('holds back only a possible start of a stop string', () => {
    const m = new StopStringMatcher(['</s>']);
    expect(m.push('a</')).toEqual({ emit: 'a', stopped: false });
    expect(m.push('b')).toEqual({ emit: '</b', stopped: false });
    expect(m.push('x<')).toEqual({ emit: 'x', stopped: false });
    expect(m.flush()).toBe('<'); // end of stream: the held text was not a stop after all
  });

  it('a stop split across many chunks', () => {
    const r = run(['<|im_end|>'], ['Hi', '<', '|', 'im', '_', 'e', 'nd', '|', '>more']);
    expect(r).toEqual({ text: 'Hi', stopped: true, emits: ['Hi', '', '', '', '', '', '', '', ''] });
  });

  it('overlapping prefixes: "aab" after "aa…"', () => {
    expect(run(['aab'], ['a', 'a', 'a', 'b', 'c'])).toMatchObject({ text: 'a', stopped: true });
    expect(run(['aab'], ['aaaab'])).toMatchObject({ text: 'aa', stopped: true });
    expect(run(['ab', 'aab'], ['a', 'a', 'b'])).toMatchObject({ text: '', stopped: true }); // both end together: the longer wins
    expect(run(['ab', 'aab'], ['xa', 'a', 'b'])).toMatchObject({ text: 'x', stopped: true });
    expect(run(['aab'], ['a', 'a', 'a'])).toMatchObject({ text: 'aaa', stopped: false });
  });

  it('the stop that completes first wins', () => {
    expect(run(['abcd', 'bc'], ['abcd'])).toMatchObject({ text: 'a', stopped: true });
    expect(run(['abcd', 'bc'], ['a', 'b', 'c', 'd'])).toMatchObject({ text: 'a', stopped: true });
    expect(run(['bcd', 'abcx'], ['abcd'])).toMatchObject({ text: 'a', stopped: true });
  });

  it('stop at the very start, and everything after a stop is swallowed', () => {
    const m = new StopStringMatcher(['STOP']);
    expect(m.push('STOP and more')).toEqual({ emit: '', stopped: true });
    expect(m.stopped).toBe(true);
    expect(m.push('more')).toEqual({ emit: '', stopped: true });
    expect(m.flush()).toBe('');
    expect(run(['\n\n'], ['\n', '\nUser:'])).toMatchObject({ text: '', stopped: true });
  });

  it('non-ASCII stop strings', () => {
    expect(run(['😀end'], ['hé', '😀', 'e', 'nd!'])).toMatchObject({ text: 'hé', stopped: true });
    expect(run(['。'], ['日本', '語。', 'x'])).toMatchObject({ text: '日本語', stopped: true });
  });

  it('same result however the text is chunked (random texts, stops and chunkings)', () => {
    const rand = testRng(2024);
    const alphabet = 'abc';
    const word = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
    for (let trial = 0; trial < 2000; trial++) {
      const stops = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => word(1 + Math.floor(rand() * 4)));
      const text = word(Math.floor(rand() * 30));
      const chunks: string[] = [];
      for (let i = 0; i < text.length; ) {
        const n = Math.floor(rand() * 5); // empty chunks too
        chunks.push(text.slice(i, i + n));
        i += n;
      }
      const want = reference(stops, text);
      const got = run(stops, chunks);
      expect({ text: got.text, stopped: got.stopped }, JSON.stringify({ stops, text, chunks })).toEqual(want);
      for (const s of stops) expect(got.text.includes(s)).toBe(false);
    }
  });

  it('rejects empty or non-string stops', () => {
    expect(() => new StopStringMatcher([''])).toThrow(InvalidArgumentError);
    expect(() => new StopStringMatcher([3 as unknown as string])).toThrow(InvalidArgumentError);
    expect(() => new StopStringMatcher('x' as unknown as string[])).toThrow(InvalidArgumentError);
  });
});
