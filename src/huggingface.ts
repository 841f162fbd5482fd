/** Resolving a Hugging Face repository file to its download URL. */
import { InvalidArgumentError } from './errors.ts';

export interface HuggingFaceFile {
  /** "owner/name" */
  repo: string;
  /** Path of the file in the repository, e.g. "model-Q4_0.gguf". */
  file: string;
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** Hub host (default https://huggingface.co). */
  endpoint?: string;
}

export function huggingFaceUrl({ repo, file, revision = 'main', endpoint = 'https://huggingface.co' }: HuggingFaceFile): string {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new InvalidArgumentError(`"${repo}" is not a Hugging Face repository name (owner/name)`);
  if (!file || file.startsWith('/') || file.split('/').includes('..')) throw new InvalidArgumentError(`"${file}" is not a file path inside a repository`);
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}
