/**
 * How a chat task's prompt marks where the user's message ends and the assistant's reply begins.
 *
 * Search strategies continue partial solutions by sending `task.formatPrompt(problem) + steps`
 * to a text-completion backend, so a chat task's prompt is the user's message followed by
 * ASSISTANT_MARK; whatever follows the mark is the (partial) reply. A chat-model backend
 * (WebLLM) splits there and renders its own chat template around the two parts; a raw-text
 * backend should do the same with `splitChatPrompt` before sending.
 */

/** Separates the user's message from the assistant's reply in a chat task's prompt. */
export const ASSISTANT_MARK = '\n<|assistant|>\n';

export interface ChatPromptParts {
  /** The user's message (instructions and problem). */
  user: string;
  /** The assistant's reply so far: empty for a fresh solution, steps when continuing one. */
  reply: string;
}

/**
 * Build a chat task's prompt from the user's message. The mark is removed from the message
 * first, so model-written text quoted in it (earlier attempts) cannot move the split point.
 */
export function chatPrompt(user: string): string {
  return `${user.split(ASSISTANT_MARK).join('\n')}${ASSISTANT_MARK}`;
}

/**
 * Split a prompt made by `chatPrompt` (plus any continuation) into the user's message and the
 * reply so far. Returns null for a prompt without the mark (a raw-text task such as arith).
 */
export function splitChatPrompt(prompt: string): ChatPromptParts | null {
  const at = prompt.indexOf(ASSISTANT_MARK);
  if (at < 0) return null;
  return { user: prompt.slice(0, at), reply: prompt.slice(at + ASSISTANT_MARK.length) };
}
