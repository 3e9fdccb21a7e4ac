/**
 * The exact "oracle" step checker, wrapped as a Verifier. It is not a learned PRM: it grades steps
 * with the task's own checker, so it is always labelled as an oracle and costs no FLOPs.
 */
import type { Task, Verifier } from '../types';

/**
 * A Verifier of kind 'oracle' built on `task.checkSteps`. Step score i is 1 when steps 0..i all
 * pass the checker (the solution is still on track after step i), else 0: prefix correctness, the
 * quantity a PRM is trained to predict.
 * @param task A task with an exact step checker (arith has one).
 * @throws If the task has no `checkSteps`.
 */
export function oracleVerifier(task: Task): Verifier {
  const checkSteps = task.checkSteps?.bind(task);
  if (!checkSteps) {
    throw new Error(
      `oracleVerifier: task "${task.id}" has no exact step checker (checkSteps), so it has no oracle`,
    );
  }
  return {
    id: `oracle:${task.id}`,
    label: 'Oracle step checker (exact)',
    kind: 'oracle',
    parameterCount: 0,
    async scoreSteps(requests, signal) {
      signal?.throwIfAborted();
      return requests.map(({ problem, steps }) => {
        const ok = checkSteps(problem, steps);
        let onTrack = true;
        const stepScores = steps.map((_, i) => {
          onTrack = onTrack && ok[i] === true;
          return onTrack ? 1 : 0;
        });
        return { stepScores, tokens: 0 };
      });
    },
  };
}
