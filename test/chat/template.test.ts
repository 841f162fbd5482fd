/**
 * Chat templates: real-world templates (written inline) render to exact strings; fallbacks by
 * vocab contents; template errors are ChatTemplateError; rendered prompts tokenize with
 * special tokens parsed and exactly one BOS.
 */
import { describe, expect, it } from 'vitest';
import { LutraError } from '../../src/errors.ts';
import {
  applyChatTemplate, ChatTemplate, ChatTemplateError, chatTemplateFor, encodeChatPrompt, fallbackFor, type ChatMessage,
} from '../../src/chat/template.ts';
import { createTokenizer, SpmTokenizer } from '../../src/tokenizer/index.ts';
import { createVocab } from '../../src/tokenizer/vocab.ts';
import { loadGGUF } from '../tokenizer/helpers.ts';

// Qwen2-Instruct style ChatML with a default system prompt.
const QWEN2 =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}" +
  "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// Meta-Llama-3-8B-Instruct.
const LLAMA3 =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}" +
  "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

// Phi-3-mini-4k-instruct.
const PHI3 =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}" +
  "{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}" +
  "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}";

// Mistral-7B-Instruct v0.1/v0.2.
const MISTRAL =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}" +
  "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

const chat: ChatMessage[] = [
  { role: 'user', content: 'Hi!' },
  { role: 'assistant', content: 'Hello. ' },
  { role: 'user', content: 'How are you?' },
];
const withSystem: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, ...chat];

describe('real-world templates render exactly', () => {
  it('Qwen2 / ChatML', () => {
    const t = new ChatTemplate(QWEN2, { eosToken: '<|im_end|>' });
    expect(t.render(chat)).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n' +
      '<|im_start|>assistant\nHello. <|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(t.render(withSystem.slice(0, 2), { addGenerationPrompt: false })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n',
    );
  });

  it('Llama 3', () => {
    const t = new ChatTemplate(LLAMA3, { bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>' });
    expect(t.render(withSystem)).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('Phi-3', () => {
    const t = new ChatTemplate(PHI3, { bosToken: '<s>', eosToken: '<|endoftext|>' });
    expect(t.render(chat)).toBe('<|user|>\nHi!<|end|>\n<|assistant|>\nHello. <|end|>\n<|user|>\nHow are you?<|end|>\n<|assistant|>\n');
    expect(t.render(chat.slice(0, 1), { addGenerationPrompt: false })).toBe('<|user|>\nHi!<|end|>\n<|endoftext|>');
  });

  it('Mistral [INST]', () => {
    const t = new ChatTemplate(MISTRAL, { bosToken: '<s>', eosToken: '</s>' });
    expect(t.render(chat)).toBe('<s>[INST] Hi! [/INST]Hello. </s>[INST] How are you? [/INST]');
  });
});

describe('template errors are ChatTemplateError', () => {
  it('raise_exception inside the template', () => {
    const t = new ChatTemplate(MISTRAL, { bosToken: '<s>', eosToken: '</s>' });
    let err: unknown;
    try { t.render(withSystem); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ChatTemplateError);
    expect(err).toBeInstanceOf(LutraError);
    expect((err as ChatTemplateError).code).toBe('CHAT_TEMPLATE');
    expect((err as Error).message).toContain('Conversation roles must alternate');
  });

  it('a template that does not parse, and one that fails while rendering', () => {
    expect(() => new ChatTemplate('{% for m in messages %}{{ m.content }')).toThrow(ChatTemplateError);
    expect(() => new ChatTemplate('{{ messages[0].content.nope() }}').render(chat)).toThrow(ChatTemplateError);
  });

  it('renders text only: extra variables are plain data and cannot replace the conversation', () => {
    const t = new ChatTemplate('{{ who }}:{{ messages | length }}:{{ add_generation_prompt }}');
    expect(t.render(chat, { variables: { who: 'x', messages: [], add_generation_prompt: 'no', raise_exception: 1, range: 2 } })).toBe('x:3:true');
  });
});

describe('fallbacks by vocabulary', () => {
  it('Llama 3 headers → llama3, ChatML markers → chatml, [INST] → llama2, SPM llama → llama2, else chatml', () => {
    expect(fallbackFor(['<|begin_of_text|>', '<|start_header_id|>'])).toBe('llama3');
    expect(fallbackFor(['<|im_start|>', '<|im_end|>'])).toBe('chatml');
    expect(fallbackFor(['<s>', '</s>', '[INST]'])).toBe('llama2');
    expect(fallbackFor(['<unk>', '<s>', '</s>'], 'llama')).toBe('llama2');
    expect(fallbackFor(['<|endoftext|>'], 'gpt2')).toBe('chatml');
  });

  it('models without tokenizer.chat_template get a fallback with their BOS / EOS texts', () => {
    const spm = createTokenizer(loadGGUF('vocab/ggml-vocab-llama-spm.gguf'));
    const t = chatTemplateFor(spm, loadGGUF('vocab/ggml-vocab-llama-spm.gguf'));
    expect(t.origin).toBe('llama2');
    expect(t.render(withSystem)).toBe(
      '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] How are you? [/INST]',
    );
    const gpt2 = createTokenizer(loadGGUF('vocab/ggml-vocab-gpt-2.gguf'));
    expect(chatTemplateFor(gpt2).origin).toBe('chatml');
    const l3 = new SpmTokenizer(createVocab({ tokens: ['<unk>', '<|begin_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>'], bosId: 1, eosId: 2 }));
    const t3 = chatTemplateFor(l3);
    expect(t3.origin).toBe('llama3');
    expect(t3.render(chat.slice(0, 1))).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('uses tokenizer.chat_template when the file has one', () => {
    const file = loadGGUF('vocab/ggml-vocab-gpt-2.gguf');
    const withTemplate = { ...file, metadata: new Map([...file.metadata, ['tokenizer.chat_template', QWEN2]]) } as typeof file;
    const t = chatTemplateFor(createTokenizer(file), withTemplate);
    expect(t.origin).toBe('model');
    expect(t.source).toBe(QWEN2);
  });
});

describe('tokenizing the rendered prompt', () => {
  const spm = createTokenizer(loadGGUF('vocab/ggml-vocab-llama-spm.gguf'));

  it('a template that emits BOS gets no second one; control-token text becomes the token', () => {
    const t = new ChatTemplate(MISTRAL, { bosToken: '<s>', eosToken: '</s>' });
    const { prompt, ids } = applyChatTemplate(spm, t, chat);
    expect(ids[0]).toBe(1);
    expect(ids[1]).not.toBe(1);
    expect(ids.filter((x) => x === 2).length).toBe(1); // the </s> after the assistant turn
    expect(ids).toEqual(spm.encode(prompt, { addSpecial: false, parseSpecial: true }));
  });

  it('a template without BOS gets the vocab\'s BOS in front, never EOS at the end', () => {
    const t = new ChatTemplate(PHI3, { bosToken: '<s>', eosToken: '</s>' });
    const prompt = t.render(chat);
    const ids = encodeChatPrompt(spm, prompt, '<s>');
    expect(ids).toEqual([1, ...spm.encode(prompt, { addSpecial: false, parseSpecial: true })]);
    const gpt2 = createTokenizer(loadGGUF('vocab/ggml-vocab-gpt-2.gguf')); // add_bos false
    expect(encodeChatPrompt(gpt2, 'hi<|endoftext|>')).toEqual([...gpt2.encode('hi', { addSpecial: false }), 50256]);
  });
});
