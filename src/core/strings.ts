/**
 * The engine's internalized copy of a string (property names are kept in its
 * string table). Two different internalized strings are unequal at a glance,
 * so comparing two of them costs a pointer comparison; two ordinary 66-char
 * node ids that share their "ed" prefix cost a call and a character loop. Only
 * a speed-up: equality means the same either way. Used for the node ids that
 * millions of simulated messages compare (members.ts, sim-network.ts).
 */
export function internalized(value: string): string {
  return Object.keys({ [value]: 0 })[0] ?? value
}
