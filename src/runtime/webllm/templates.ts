/**
 * Chat templates rendered by hand, one per model family, so a prompt can end inside a partially
 * written assistant message. WebLLM's chat API always closes the assistant turn it is given, so
 * beam search and revisions could not continue a partial solution through it; raw completions
 * of a hand-rendered template can.
 *
 * Each template follows the family's own Jinja template (tokenizer_config.json) for a single
 * system + user turn with the generation prompt added. Special tokens are written as text:
 * WebLLM's tokenizer encodes without adding special tokens but does match added tokens such as
 * `<|im_start|>` in the text, and its text-completion path adds no BOS token, so Llama 3's
 * `<|begin_of_text|>` is written here.
 */
import { splitChatPrompt } from '../../tasks/answers/chatPrompt';

export type ChatTemplateId = 'qwen2.5' | 'qwen2.5-math' | 'qwen3' | 'llama3' | 'smollm2' | 'chatml';

export interface ChatTurn {
  /** null: the family's default system message (or none, where the family has none). */
  system: string | null;
  user: string;
  /** The assistant's reply so far; generation continues right after it. */
  assistantPrefix: string;
}

export interface ChatTemplate {
  id: ChatTemplateId;
  label: string;
  /** Used when a turn has no system message; null where the family's template adds none. */
  defaultSystem: string | null;
  /** Strings that end an assistant turn, as text (the end token is also a stop token). */
  endOfTurn: readonly string[];
  render(turn: ChatTurn): string;
}

function chatml(
  id: ChatTemplateId,
  label: string,
  defaultSystem: string | null,
  assistantHeader = '<|im_start|>assistant\n',
): ChatTemplate {
  return {
    id,
    label,
    defaultSystem,
    endOfTurn: ['<|im_end|>', '<|endoftext|>'],
    render({ system, user, assistantPrefix }) {
      const sys = system ?? defaultSystem;
      const head = sys === null ? '' : `<|im_start|>system\n${sys}<|im_end|>\n`;
      return `${head}<|im_start|>user\n${user}<|im_end|>\n${assistantHeader}${assistantPrefix}`;
    },
  };
}

/**
 * Llama 3.x: the 3.2 template always writes a system header with its knowledge-cutoff lines.
 * The date is fixed (the template's own default) so prompts, and with them traces, are
 * reproducible.
 */
const LLAMA3: ChatTemplate = {
  id: 'llama3',
  label: 'Llama 3',
  defaultSystem: '',
  endOfTurn: ['<|eot_id|>', '<|end_of_text|>'],
  render({ system, user, assistantPrefix }) {
    const sys = system ?? '';
    return (
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n' +
      `Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n${sys}<|eot_id|>` +
      `<|start_header_id|>user<|end_header_id|>\n\n${user.trim()}<|eot_id|>` +
      `<|start_header_id|>assistant<|end_header_id|>\n\n${assistantPrefix}`
    );
  },
};

export const CHAT_TEMPLATES: Record<ChatTemplateId, ChatTemplate> = {
  'qwen2.5': chatml(
    'qwen2.5',
    'Qwen2.5 (ChatML)',
    'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.',
  ),
  // Qwen2.5-Math-Instruct's template defaults to the system prompt it was trained with.
  'qwen2.5-math': chatml(
    'qwen2.5-math',
    'Qwen2.5-Math (ChatML)',
    'Please reason step by step, and put your final answer within \\boxed{}.',
  ),
  // Qwen3 without thinking: the template's enable_thinking=false writes an empty think block,
  // so the reply is the step-by-step solution itself rather than a long hidden monologue.
  qwen3: chatml(
    'qwen3',
    'Qwen3 (ChatML, thinking off)',
    null,
    '<|im_start|>assistant\n<think>\n\n</think>\n\n',
  ),
  llama3: LLAMA3,
  smollm2: chatml(
    'smollm2',
    'SmolLM2 (ChatML)',
    'You are a helpful AI assistant named SmolLM, trained by Hugging Face',
  ),
  chatml: chatml('chatml', 'Plain ChatML', null),
};

export function isChatTemplateId(x: unknown): x is ChatTemplateId {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(CHAT_TEMPLATES, x);
}

/**
 * The text a raw completion should continue for an engine prompt.
 * @param templateId The model family's template.
 * @param prompt A task prompt: with the assistant mark (a chat task: rendered as system + user
 *   turn, then the assistant's reply so far) or without it (passed through as raw text).
 * @param system The system message; null for the family's default.
 */
export function renderPrompt(
  templateId: ChatTemplateId,
  prompt: string,
  system: string | null = null,
): string {
  const parts = splitChatPrompt(prompt);
  if (!parts) return prompt;
  return CHAT_TEMPLATES[templateId].render({
    system,
    user: parts.user,
    assistantPrefix: parts.reply,
  });
}
