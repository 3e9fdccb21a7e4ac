import { describe, expect, it } from 'vitest';
import { chatPrompt } from '../../tasks/answers/chatPrompt';
import { CHAT_TEMPLATES, renderPrompt } from './templates';

const prompt = chatPrompt('What is 2+3?');
const continued = `${prompt}2 plus 3 is 5.\n\n`;

describe('chat templates rendered by hand', () => {
  it('Qwen2.5: ChatML with the default system prompt, open assistant turn', () => {
    expect(renderPrompt('qwen2.5', prompt)).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('Qwen2.5-Math: its own step-by-step system prompt', () => {
    expect(renderPrompt('qwen2.5-math', prompt)).toContain(
      '<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n',
    );
  });

  it('Qwen3: no default system turn and an empty think block (thinking off)', () => {
    expect(renderPrompt('qwen3', prompt)).toBe(
      '<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    );
  });

  it('Llama 3: BOS written as text, system header with the fixed date, trimmed user turn', () => {
    expect(renderPrompt('llama3', chatPrompt('  What is 2+3? '))).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n' +
        'Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+3?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('SmolLM2: ChatML with its default system prompt', () => {
    expect(renderPrompt('smollm2', prompt)).toBe(
      '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
        '<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('continues a partial assistant message: the steps so far follow the open turn', () => {
    for (const id of Object.keys(CHAT_TEMPLATES) as (keyof typeof CHAT_TEMPLATES)[]) {
      const fresh = renderPrompt(id, prompt);
      const rendered = renderPrompt(id, continued);
      expect(rendered).toBe(`${fresh}2 plus 3 is 5.\n\n`);
      // The assistant turn is never closed: no end-of-turn marker after the partial reply.
      const endMarkers = CHAT_TEMPLATES[id].endOfTurn;
      expect(endMarkers.some((m) => rendered.endsWith(`${m}\n`) || rendered.endsWith(m))).toBe(
        false,
      );
    }
  });

  it('an explicit system message replaces the default', () => {
    expect(renderPrompt('qwen2.5', prompt, 'Be brief.')).toMatch(
      /^<\|im_start\|>system\nBe brief\.<\|im_end\|>/,
    );
    expect(renderPrompt('qwen3', prompt, 'Be brief.')).toMatch(
      /^<\|im_start\|>system\nBe brief\.<\|im_end\|>/,
    );
  });

  it('passes a prompt without the assistant mark through as raw text', () => {
    expect(renderPrompt('qwen2.5', 'Q:37,+45\n')).toBe('Q:37,+45\n');
  });
});
