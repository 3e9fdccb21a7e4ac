/**
 * The ground-truth verifier for benchmarks without a step checker (GSM8K, MATH-500). It knows
 * only whether a final answer matches the reference, so it is an upper bound for answer
 * selection, never a stand-in for a PRM, and it is always labelled as the oracle.
 */
import type { Task, Verifier } from '../../engine/types';

/** Score of every step of a solution that has no final answer yet: the oracle cannot tell. */
export const UNDECIDED_SCORE = 0.5;

/**
 * A Verifier of kind 'oracle' that grades final answers against the reference. A solution
 * whose last step gives a final answer scores 1 on every step when the answer is correct and 0
 * when it is not; a partial solution scores UNDECIDED_SCORE on every step.
 * @param task The task whose extraction and grading decide correctness.
 */
export function finalAnswerOracle(task: Task): Verifier {
  return {
    id: `oracle-answer:${task.id}`,
    label: 'Oracle: final answer vs. the reference (ground truth, upper bound only)',
    kind: 'oracle',
    parameterCount: 0,
    async scoreSteps(requests, signal) {
      signal?.throwIfAborted();
      return requests.map(({ problem, steps }) => {
        const last = steps[steps.length - 1];
        if (last === undefined || !task.isFinalStep(last)) {
          return { stepScores: steps.map(() => UNDECIDED_SCORE), tokens: 0 };
        }
        const answer = task.extractAnswer(steps.join(task.stepDelimiter));
        const score = task.isCorrect(problem, answer) ? 1 : 0;
        return { stepScores: steps.map(() => score), tokens: 0 };
      });
    },
  };
}
