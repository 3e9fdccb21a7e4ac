/**
 * A line diff on solution steps, to show what a revision changed from the attempt before it.
 * Longest common subsequence on whole steps: arithmetic steps are short, and a step is either
 * kept verbatim or rewritten, so a character diff would only add noise.
 */

export type StepChange = 'same' | 'added' | 'removed';

export interface DiffLine {
  text: string;
  change: StepChange;
}

/**
 * The steps of `current` marked against `previous`: unchanged steps are 'same', new or rewritten
 * steps 'added', and steps of `previous` that are gone appear as 'removed' where they were.
 * Rewritten steps show as their old versions removed, then their new versions added.
 * @param previous steps of the attempt before (oldest revision first)
 * @param current steps of this attempt
 * @example diffSteps(['1+2=4', 'A:4'], ['1+2=3', 'A:3']) // removed 1+2=4, removed A:4, added 1+2=3, added A:3
 */
export function diffSteps(previous: readonly string[], current: readonly string[]): DiffLine[] {
  const n = previous.length;
  const m = current.length;
  // lcs[i][j]: length of the LCS of previous[i..] and current[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as number[];
    const below = lcs[i + 1] as number[];
    for (let j = m - 1; j >= 0; j--) {
      row[j] =
        previous[i] === current[j]
          ? (below[j + 1] as number) + 1
          : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (previous[i] === current[j]) {
      out.push({ text: current[j] as string, change: 'same' });
      i++;
      j++;
    } else if ((lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0)) {
      out.push({ text: previous[i] as string, change: 'removed' });
      i++;
    } else {
      out.push({ text: current[j] as string, change: 'added' });
      j++;
    }
  }
  for (; i < n; i++) out.push({ text: previous[i] as string, change: 'removed' });
  for (; j < m; j++) out.push({ text: current[j] as string, change: 'added' });
  return out;
}

/**
 * Split a solution into steps for the diff: one step per non-empty line (the arithmetic task's
 * step delimiter is a newline).
 * @param text solution text
 */
export function stepsOf(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
