// One bank call per bank per request where Apollo's query plan would make two. For the README's
// query the planner runs, side by side, the bank fetch of a user's accounts and a sequence of
// messaging then the bank fetch of the transactions messages refer to: the same bank asked twice,
// each time reading the user's consents and writing its decision records. Moved into the step of
// the later fetch, the first one runs beside it, and the bank router sends both as one call
// (bank-router/joint-calls.ts): consents read once, decisions written once, one round trip less.
//
// Safe by construction: the children of a Parallel node never depend on one another (that is why
// the planner put them side by side), the moved fetch still reads only what was there before the
// Parallel began, and the Parallel still ends only when all of its fetches have. The price: the
// moved fetch waits for the steps before its new place (messaging, bounded by its timeout).
// Apollo's plans are cached: the change is made once per plan, in place, before its first run.

/** The parts of Apollo's query plan nodes this reads (`@apollo/query-planner`'s PlanNode). */
export interface PlanNode {
  kind: string;
  nodes?: PlanNode[];
  node?: PlanNode;
  serviceName?: string;
  operationKind?: string;
}

/** An entity fetch (`Flatten` around a query `Fetch`) to `service`: what the bank router can join. */
function isEntityFetchTo(node: PlanNode, service: string): boolean {
  return node.kind === 'Flatten' && node.node?.kind === 'Fetch' && node.node.serviceName === service && node.node.operationKind === 'query';
}

/** The index of the first step after the first of `sequence` that is, or runs in parallel, an entity fetch to `service`. */
function laterStepWith(sequence: PlanNode, service: string): number {
  const steps = sequence.nodes ?? [];
  for (let k = 1; k < steps.length; k++) {
    const step = steps[k]!;
    if (isEntityFetchTo(step, service) || (step.kind === 'Parallel' && step.nodes?.some((n) => isEntityFetchTo(n, service)))) return k;
  }
  return -1;
}

/** Moves, in every Parallel node of the plan, each entity fetch to `service` next to a later one in a sibling sequence. Returns how many it moved. */
export function joinEntityFetches(plan: { node?: PlanNode }, service: string): number {
  let moved = 0;
  const visit = (node: PlanNode | undefined): void => {
    if (!node) return;
    if (node.kind === 'Parallel' && node.nodes) {
      for (const fetch of node.nodes.filter((n) => isEntityFetchTo(n, service))) {
        const target = node.nodes.filter((n) => n.kind === 'Sequence').map((sequence) => ({ sequence, k: laterStepWith(sequence, service) })).find((t) => t.k > 0);
        if (!target) break;
        const { sequence, k } = target;
        const step = sequence.nodes![k]!;
        if (step.kind === 'Parallel') step.nodes!.push(fetch);
        else sequence.nodes![k] = { kind: 'Parallel', nodes: [step, fetch] };
        node.nodes.splice(node.nodes.indexOf(fetch), 1);
        moved++;
      }
    }
    if (node.kind === 'Sequence' || node.kind === 'Parallel') node.nodes?.forEach(visit);
    else if (node.kind === 'Flatten') visit(node.node);
  };
  visit(plan.node);
  return moved;
}
