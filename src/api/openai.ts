/**
 * `engine.chat.completions.create(...)` in OpenAI's request/response shape, on
 * top of any engine that can run a chat (in-thread or behind the worker proxy).
 *
 * Non-streaming: resolves to a ChatCompletion with `usage` and lutra `timings`.
 * Streaming (`stream: true`): an async iterable of ChatCompletionChunk; the last
 * chunk carries `finish_reason`, `usage` and `timings`. A per-request
 * AbortSignal (`signal`) stops native work after the token in progress.
 */
import { AbortError, InvalidArgumentError } from '../errors.ts';
import type { ChatMessage } from '../chat/template.ts';
import { schemaFromResponseFormat, type ResponseFormat } from '../structured/response-format.ts';
import type { GenerateOptions, GenerationChunk, GenerationResult } from '../engine/types.ts';

/** What the OpenAI layer needs from an engine. */
export interface ChatEngine {
  generateChat(messages: ChatMessage[], options?: GenerateOptions, onChunk?: (chunk: GenerationChunk) => void): Promise<GenerationResult>;
  stop(): Promise<void>;
  /** Name reported as `model` in responses. */
  modelName(): Promise<string>;
}

export interface ChatCompletionRequest {
  messages: ChatMessage[];
  stream?: boolean;
  model?: string;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  typical_p?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  repetition_penalty?: number;
  logit_bias?: Record<string, number>;
  seed?: number;
  stop?: string | string[];
  /** { type: 'text' } | { type: 'json_object' } | { type: 'json_schema', json_schema: { schema } } */
  response_format?: ResponseFormat;
  /** Only 1 is supported. */
  n?: number;
  signal?: AbortSignal;
}

export interface Usage { prompt_tokens: number; completion_tokens: number; total_tokens: number }
export interface Timings {
  prompt_per_second: number;
  predicted_per_second: number;
  time_to_first_token_ms: number;
}
export type OpenAIFinishReason = 'stop' | 'length' | 'abort';

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: 0; message: { role: 'assistant'; content: string }; finish_reason: OpenAIFinishReason }>;
  usage: Usage;
  timings: Timings;
  /** The sampler seed actually used (replays the answer). */
  seed: number;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: 0; delta: { role?: 'assistant'; content?: string }; finish_reason: OpenAIFinishReason | null }>;
  usage?: Usage;
  timings?: Timings;
}

function toOptions(r: ChatCompletionRequest): GenerateOptions {
  if (!Array.isArray(r.messages) || r.messages.length === 0) throw new InvalidArgumentError('messages must be a non-empty array');
  if (r.n !== undefined && r.n !== 1) throw new InvalidArgumentError('only n = 1 is supported');
  const bias = r.logit_bias
    ? Object.fromEntries(Object.entries(r.logit_bias).map(([k, v]) => [Number(k), v]))
    : undefined;
  return {
    maxTokens: r.max_completion_tokens ?? r.max_tokens,
    temperature: r.temperature,
    topP: r.top_p,
    topK: r.top_k,
    minP: r.min_p,
    typicalP: r.typical_p,
    frequencyPenalty: r.frequency_penalty,
    presencePenalty: r.presence_penalty,
    repetitionPenalty: r.repetition_penalty,
    logitBias: bias,
    seed: r.seed,
    stop: r.stop === undefined ? undefined : Array.isArray(r.stop) ? r.stop : [r.stop],
    jsonSchema: r.response_format === undefined ? undefined : schemaFromResponseFormat(r.response_format) ?? undefined,
  };
}

function finishReason(result: GenerationResult): OpenAIFinishReason {
  if (result.finishReason === 'length' || result.finishReason === 'context') return 'length';
  if (result.finishReason === 'aborted') return 'abort';
  return 'stop';
}

function usageOf(result: GenerationResult): Usage {
  return { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens };
}

function timingsOf(result: GenerationResult): Timings {
  return {
    prompt_per_second: result.prefillTokensPerSecond,
    predicted_per_second: result.decodeTokensPerSecond,
    time_to_first_token_ms: result.timeToFirstTokenMs,
  };
}

let counter = 0;
function newId(): string {
  return `chatcmpl-lutra-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** Runs `work` with `signal` wired to engine.stop(); rejects with AbortError if it fired first. */
async function withSignal<T>(engine: ChatEngine, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  if (signal?.aborted) throw new AbortError('The request was aborted before it started');
  const onAbort = () => void engine.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await work();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export class ChatCompletions {
  constructor(private readonly engine: ChatEngine) {}

  create(request: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
  create(request: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
  async create(request: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    const options = toOptions(request);
    const model = request.model ?? (await this.engine.modelName());
    if (request.stream) return this.stream(request, options, model);
    const result = await withSignal(this.engine, request.signal, () => this.engine.generateChat(request.messages, options));
    return {
      id: newId(),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: result.text }, finish_reason: finishReason(result) }],
      usage: usageOf(result),
      timings: timingsOf(result),
      seed: result.seed,
    };
  }

  private async *stream(request: ChatCompletionRequest, options: GenerateOptions, model: string): AsyncGenerator<ChatCompletionChunk> {
    const id = newId();
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finish: OpenAIFinishReason | null): ChatCompletionChunk =>
      ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] });

    const queue: string[] = [];
    let wake: (() => void) | undefined;
    let settled = false;
    const running = withSignal(this.engine, request.signal, () =>
      this.engine.generateChat(request.messages, options, (c) => {
        queue.push(c.text);
        wake?.();
      })).finally(() => {
      settled = true;
      wake?.();
    });
    running.catch(() => {}); // surfaced below, after the queued text
    let first = true;
    try {
      while (true) {
        if (queue.length > 0) {
          yield chunk(first ? { role: 'assistant', content: queue.shift()! } : { content: queue.shift()! }, null);
          first = false;
          continue;
        }
        if (settled) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      const result = await running;
      yield { ...chunk(first ? { role: 'assistant' } : {}, finishReason(result)), usage: usageOf(result), timings: timingsOf(result) };
    } finally {
      // A consumer that stops iterating early stops the generation too.
      if (!settled) await this.engine.stop();
    }
  }
}
