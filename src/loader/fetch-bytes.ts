/**
 * Downloads a model file with progress. The whole body is collected into one
 * buffer sized from Content-Length; streaming straight into wasm memory (and
 * Range-resume, caching) belong to the runtime loader.
 */
import { AbortError, LutraError } from '../errors.ts';

export class DownloadError extends LutraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DOWNLOAD', message, options);
  }
}

export async function fetchBytes(
  url: string,
  onProgress?: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (cause) {
    if (signal?.aborted) throw new AbortError('Download aborted', { cause });
    throw new DownloadError(`Could not download ${url}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) throw new DownloadError(`Could not download ${url}: HTTP ${response.status} ${response.statusText}`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(await response.arrayBuffer());

  let buffer = new Uint8Array(Number.isFinite(declared) && declared > 0 ? declared : 1 << 20);
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > buffer.length) {
        const grown = new Uint8Array(Math.max(buffer.length * 2, loaded + value.length));
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.length;
      onProgress?.(loaded, Number.isFinite(declared) ? declared : loaded);
    }
  } catch (cause) {
    if (signal?.aborted) throw new AbortError('Download aborted', { cause });
    throw new DownloadError(`Download of ${url} failed after ${loaded} bytes: ${(cause as Error).message}`, { cause });
  }
  return buffer.subarray(0, loaded);
}
