/**
 * Chat templates: turn a conversation into the prompt text a model was trained on, with the
 * model's own `tokenizer.chat_template` (a Jinja template, rendered by @huggingface/jinja),
 * or a built-in fallback when the file has none.
 *
 * Templates get `messages`, `add_generation_prompt`, `bos_token`, `eos_token`, any extra
 * variables, and @huggingface/jinja's globals (`raise_exception(msg)`, `range`,
 * `strftime_now`). Any failure (parse error, raise_exception, runtime error) is a
 * ChatTemplateError.
 *
 * A template can only produce text. @huggingface/jinja interprets the template itself (no
 * JavaScript is generated or evaluated), and the template sees nothing but the variables
 * passed to render(): it cannot reach the page, the network or the model. Its output is
 * just a string, which is why the caller must tokenize it with special tokens parsed: the
 * "<|im_start|>" in the rendered text has to become the control token, not the characters.
 *
 * Caller contract (encodeChatPrompt does exactly this):
 *   ids = tok.encode(rendered, { addSpecial: false, parseSpecial: true })
 *   and put BOS in front only if the vocab adds BOS and the template did not already
 *   emit it (many templates start with {{ bos_token }}). EOS is never added to a prompt.
 * This is `encode(rendered, { addSpecial: <only if the template did not emit BOS>,
 * parseSpecial: true })` without the EOS that addSpecial would append for vocabs with
 * add_eos_token.
 */
import { Template } from '@huggingface/jinja';
import { ChatTemplateError } from '../errors.ts';
import type { GGUFFile } from '../gguf/types.ts';
import type { Tokenizer } from '../tokenizer/index.ts';

export { ChatTemplateError };

export interface ChatMessage {
  role: string;
  content: string;
  /** Other fields (tool calls, names, ...) are passed to the template as they are. */
  [key: string]: unknown;
}

export interface RenderOptions {
  /** End with the header that starts the assistant's reply. Default true. */
  addGenerationPrompt?: boolean;
  /** More template variables (tools, documents, date_string, ...). They cannot override the ones set here. */
  variables?: Record<string, unknown>;
}

/** Where a template came from: the model file, or one of the built-in fallbacks. */
export type TemplateSource = 'model' | 'chatml' | 'llama2' | 'llama3';

// ---- built-in fallbacks (standard formats, used only when the model has no template) ----

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const LLAMA3_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

/** Llama 2 chat: [INST] … [/INST] turns, the system prompt in <<SYS>> inside the first user turn. */
export const LLAMA2_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}{% set rest = messages[1:] %}" +
  "{% else %}{% set system = '' %}{% set rest = messages %}{% endif %}" +
  "{% for message in rest %}" +
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 and system != '' %}{% set content = '<<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + (content | trim) + ' [/INST]' }}" +
  "{% else %}{{ ' ' + (content | trim) + ' ' + eos_token }}{% endif %}" +
  '{% endfor %}';

const FALLBACKS: Record<Exclude<TemplateSource, 'model'>, string> = {
  chatml: CHATML_TEMPLATE,
  llama2: LLAMA2_TEMPLATE,
  llama3: LLAMA3_TEMPLATE,
};

/** Picks a fallback format from the vocabulary: Llama 3 headers, ChatML markers, [INST], else ChatML. */
export function fallbackFor(tokens: readonly string[], model = ''): Exclude<TemplateSource, 'model'> {
  const has = (t: string) => tokens.includes(t);
  if (has('<|start_header_id|>')) return 'llama3';
  if (has('<|im_start|>')) return 'chatml';
  if (has('[INST]')) return 'llama2';
  // SentencePiece Llama / Mistral vocabs without dedicated chat tokens were tuned on [INST] prompts.
  if (model === 'llama' && has('</s>')) return 'llama2';
  return 'chatml';
}

/** Names @huggingface/jinja defines itself (raise_exception, range, strftime_now, true/false/none); a variable cannot replace them. */
const GLOBALS = new Set(['false', 'true', 'none', 'False', 'True', 'None', 'raise_exception', 'range', 'strftime_now']);

export class ChatTemplate {
  readonly source: string;
  readonly origin: TemplateSource;
  readonly bosToken: string;
  readonly eosToken: string;
  private readonly template: Template;

  /** @throws ChatTemplateError when the template does not parse */
  constructor(source: string, opts: { bosToken?: string; eosToken?: string; origin?: TemplateSource } = {}) {
    this.source = source;
    this.origin = opts.origin ?? 'model';
    this.bosToken = opts.bosToken ?? '';
    this.eosToken = opts.eosToken ?? '';
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(`The chat template does not parse: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Renders the conversation to prompt text. @throws ChatTemplateError */
  render(messages: readonly ChatMessage[], opts: RenderOptions = {}): string {
    const vars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(opts.variables ?? {})) if (!GLOBALS.has(k)) vars[k] = v;
    Object.assign(vars, {
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      bos_token: this.bosToken,
      eos_token: this.eosToken,
    });
    try {
      const out = this.template.render(vars);
      if (typeof out !== 'string') throw new ChatTemplateError('The chat template did not render to text');
      return out;
    } catch (e) {
      if (e instanceof ChatTemplateError) throw e;
      // raise_exception('...') inside the template arrives here too, with the template's message.
      throw new ChatTemplateError(`The chat template failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}

const tokenText = (tok: Tokenizer, id: number) => (id >= 0 && id < tok.vocab.tokens.length ? tok.vocab.tokens[id] : '');

/**
 * The model's chat template (`tokenizer.chat_template`), or a fallback chosen from the
 * vocabulary. bos_token / eos_token are the texts of the vocab's BOS / EOS tokens.
 */
export function chatTemplateFor(tok: Tokenizer, file?: GGUFFile): ChatTemplate {
  const src = file?.metadata.get('tokenizer.chat_template');
  const bosToken = tokenText(tok, tok.vocab.bosId);
  const eosToken = tokenText(tok, tok.vocab.eosId);
  if (typeof src === 'string' && src.trim() !== '') return new ChatTemplate(src, { bosToken, eosToken, origin: 'model' });
  const origin = fallbackFor(tok.vocab.tokens, tok.vocab.model);
  return new ChatTemplate(FALLBACKS[origin], { bosToken, eosToken, origin });
}

/**
 * Tokenizes a rendered prompt: special-token text is parsed, BOS is added only when the vocab
 * wants it and the template did not already emit it, EOS is never added.
 */
export function encodeChatPrompt(tok: Tokenizer, rendered: string, bosToken = tokenText(tok, tok.vocab.bosId)): number[] {
  const ids = tok.encode(rendered, { addSpecial: false, parseSpecial: true });
  const v = tok.vocab;
  if (v.addBos && v.bosId >= 0 && ids[0] !== v.bosId && !(bosToken !== '' && rendered.startsWith(bosToken))) ids.unshift(v.bosId);
  return ids;
}

/** Renders and tokenizes in one go. */
export function applyChatTemplate(
  tok: Tokenizer,
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  opts: RenderOptions = {},
): { prompt: string; ids: number[] } {
  const prompt = template.render(messages, opts);
  return { prompt, ids: encodeChatPrompt(tok, prompt, template.bosToken) };
}
