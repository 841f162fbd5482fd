/**
 * Stop strings over streamed text.
 *
 * Text arrives in arbitrary chunks (one per token, usually). The matcher
 * emits it as soon as it cannot be part of a stop string, holding back only
 * the longest tail that is still a proper prefix of some stop string. When a
 * stop string completes, everything before it is emitted, the stop string
 * itself is not, and the matcher reports `stopped` (and ignores later input).
 *
 * When several stop strings could match, the one that completes first in the
 * stream wins (and of those ending at the same place, the longest). This rule
 * makes the result independent of how the text is chunked: feeding "abcd" at
 * once or a character at a time gives the same output.
 *
 * Cost per push: O((h + c) · S) string search, h = held text (shorter than
 * the longest stop string), c = chunk length, S = total length of the stops.
 */
import { InvalidArgumentError } from '../errors.ts';

export interface StopPush {
  /** Text that is safe to show now. */
  emit: string;
  /** A stop string has completed (in this push or before). */
  stopped: boolean;
}

export class StopStringMatcher {
  private readonly stops: string[];
  private held = '';
  private done = false;

  constructor(stops: string[]) {
    if (!Array.isArray(stops)) throw new InvalidArgumentError('Stop strings must be an array of strings');
    for (const s of stops) {
      if (typeof s !== 'string' || s.length === 0) {
        throw new InvalidArgumentError(`Stop strings must be non-empty strings, got ${JSON.stringify(s)}`);
      }
    }
    this.stops = [...new Set(stops)];
  }

  /** Whether a stop string has completed. */
  get stopped(): boolean {
    return this.done;
  }

  push(text: string): StopPush {
    if (this.done) return { emit: '', stopped: true };
    const buf = this.held + text;

    // the stop string that completes first (smallest end), longest on ties
    let bestEnd = Infinity;
    let bestStart = -1;
    for (const s of this.stops) {
      const at = buf.indexOf(s);
      if (at < 0) continue;
      const end = at + s.length;
      if (end < bestEnd || (end === bestEnd && at < bestStart)) {
        bestEnd = end;
        bestStart = at;
      }
    }
    if (bestStart >= 0) {
      this.done = true;
      this.held = '';
      return { emit: buf.slice(0, bestStart), stopped: true };
    }

    // hold back the longest tail of buf that is a proper prefix of a stop string
    let keep = 0;
    for (const s of this.stops) {
      const maxLen = Math.min(s.length - 1, buf.length);
      for (let len = maxLen; len > keep; len--) {
        if (buf.endsWith(s.slice(0, len))) {
          keep = len;
          break;
        }
      }
    }
    this.held = buf.slice(buf.length - keep);
    return { emit: buf.slice(0, buf.length - keep), stopped: false };
  }

  /** End of the stream: returns the held-back text (nothing after a stop). */
  flush(): string {
    const rest = this.done ? '' : this.held;
    this.held = '';
    return rest;
  }
}
