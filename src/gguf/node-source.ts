/**
 * Node-only ByteSource over a file on disk (kept out of reader.ts so the
 * reader bundles for the browser).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { GGUFFormatError } from '../errors.ts';
import { checkRange, readGGUF, type ByteSource } from './reader.ts';
import type { GGUFFile } from './types.ts';

export interface FileByteSource extends ByteSource {
  /** Close the underlying file handle. Reads after close() reject. */
  close(): Promise<void>;
}

/** Open `path` for random-access reads. Call close() when done. */
export async function byteSourceFromFile(path: string): Promise<FileByteSource> {
  const fh: FileHandle = await open(path, 'r');
  let size: number;
  try {
    size = (await fh.stat()).size;
  } catch (e) {
    await fh.close();
    throw e;
  }
  return {
    size,
    async read(offset, length) {
      checkRange(offset, length, size);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0) {
          throw new GGUFFormatError(
            `${path}: file ended after ${offset + done} bytes while reading ${length} bytes at offset ${offset} ` +
              `(size was ${size} when opened)`,
          );
        }
        done += bytesRead;
      }
      return out;
    },
    close: () => fh.close(),
  };
}

/** Open `path`, parse its GGUF header, and close it. */
export async function readGGUFFile(path: string): Promise<GGUFFile> {
  const src = await byteSourceFromFile(path);
  try {
    return await readGGUF(src);
  } finally {
    await src.close();
  }
}
