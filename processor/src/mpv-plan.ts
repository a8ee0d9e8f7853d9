// How mpv's playlist is brought in line with the stored one, as pure steps (table tests in test/args.test.ts).

export interface MpvEntry {
  filename: string;
  current?: boolean;
  playing?: boolean;
}

/**
 * The steps that turn mpv's playlist into the desired one without interrupting the
 * film on screen: append what is missing, remove what is gone, then move entries into
 * order (mpv 0.35 has no `loadfile … insert-next`). Pure, for tests.
 */
export function planSync(
  actual: readonly string[],
  desired: readonly string[],
): Array<['append', string] | ['remove', number] | ['move', number, number]> {
  const steps: Array<['append', string] | ['remove', number] | ['move', number, number]> = [];
  const list = [...actual];
  for (const f of desired) {
    if (!list.includes(f)) {
      steps.push(['append', f]);
      list.push(f);
    }
  }
  for (let i = list.length - 1; i >= 0; i--) {
    const f = list[i];
    if (f === undefined) continue;
    // Duplicates (a file twice) are removed too: the later copy goes.
    if (!desired.includes(f) || list.indexOf(f) !== i) {
      steps.push(['remove', i]);
      list.splice(i, 1);
    }
  }
  for (let target = 0; target < desired.length; target++) {
    const at = list.indexOf(desired[target] as string);
    if (at !== target && at >= 0) {
      steps.push(['move', at, target]);
      const [item] = list.splice(at, 1);
      list.splice(target, 0, item as string);
    }
  }
  return steps;
}
