/**
 * Node file output for the GGUF writer: a GGUFSink over a file handle that
 * buffers small writes (header fields, padding) into 8 MiB chunks.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { GGUFSink, GGUFWriter, GGUFWriterTensor, TensorBytes } from './writer.ts';

export class FileSink implements GGUFSink {
  private buf: Uint8Array;
  private used = 0;
  written = 0;

  private constructor(private readonly fh: FileHandle, bufferBytes: number) {
    this.buf = new Uint8Array(bufferBytes);
  }

  static async create(path: string, bufferBytes = 8 << 20): Promise<FileSink> {
    return new FileSink(await open(path, 'w'), bufferBytes);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length >= this.buf.length) {
      await this.flush();
      await this.fh.write(chunk);
      this.written += chunk.length;
      return;
    }
    if (this.used + chunk.length > this.buf.length) await this.flush();
    this.buf.set(chunk, this.used);
    this.used += chunk.length;
    this.written += chunk.length;
  }

  async flush(): Promise<void> {
    if (this.used) await this.fh.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}

/** Write a GGUF file to `path`, tensor data pulled tensor by tensor. Returns bytes written. */
export async function writeGGUFFile(path: string, writer: GGUFWriter,
  data: (t: GGUFWriterTensor, index: number) => TensorBytes | Promise<TensorBytes>): Promise<number> {
  const sink = await FileSink.create(path);
  try {
    return await writer.write(sink, data);
  } finally {
    await sink.close();
  }
}
