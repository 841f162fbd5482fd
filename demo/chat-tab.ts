/** The chat tab: a conversation through the model's chat template, via chat.completions.create. */
import type { ChatMessage } from '../src/chat/template.ts';
import { $, type DemoState } from './ui.ts';

export function setUpChatTab(state: DemoState): void {
  const log = $('chat-log');
  const input = $<HTMLTextAreaElement>('chat-input');
  const sendButton = $<HTMLButtonElement>('chat-send');
  const stopButton = $<HTMLButtonElement>('chat-stop');
  const stats = $('chat-stats');
  const history: ChatMessage[] = [];
  let controller: AbortController | undefined;

  function addMessage(role: 'user' | 'assistant', text: string): HTMLDivElement {
    const message = document.createElement('div');
    message.className = `msg ${role}`;
    message.dataset.role = role;
    message.textContent = text;
    log.append(message);
    log.scrollTop = log.scrollHeight;
    return message;
  }

  async function send(): Promise<void> {
    const text = input.value.trim();
    if (!text || state.busy || !state.loaded) return;
    await state.exclusive(async () => {
      input.value = '';
      history.push({ role: 'user', content: text });
      addMessage('user', text);
      const reply = addMessage('assistant', '');
      controller = new AbortController();
      stopButton.disabled = false;
      let content = '';
      try {
        const stream = await state.engine.chat.completions.create({
          messages: history, stream: true, max_tokens: 256, temperature: 0.7, signal: controller.signal,
        });
        for await (const chunk of stream) {
          const delta = chunk.choices[0].delta.content ?? '';
          content += delta;
          reply.append(document.createTextNode(delta));
          log.scrollTop = log.scrollHeight;
          if (chunk.choices[0].finish_reason) {
            reply.dataset.finished = chunk.choices[0].finish_reason;
            if (chunk.usage && chunk.timings) {
              stats.textContent = `${chunk.usage.prompt_tokens} prompt + ${chunk.usage.completion_tokens} reply tokens · ` +
                `prefill ${chunk.timings.prompt_per_second.toFixed(1)} tok/s · decode ${chunk.timings.predicted_per_second.toFixed(1)} tok/s`;
            }
          }
        }
      } finally {
        history.push({ role: 'assistant', content });
        controller = undefined;
        stopButton.disabled = true;
      }
    });
  }

  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void send();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void send();
    }
  });
  stopButton.addEventListener('click', () => controller?.abort());
  $('chat-clear').addEventListener('click', () => {
    if (state.busy) return;
    history.length = 0;
    log.replaceChildren();
    stats.textContent = '';
  });
  state.onChange(() => { sendButton.disabled = state.busy || !state.loaded; });
}
