// Facts: a list of named facts (a description list), one term and value a row.

import type { ComponentChildren } from 'preact';

/** Fact is one row: its term, its value and, optionally, a class for the value. */
export type Fact = [term: string, value: ComponentChildren, valueClass?: string];

/** Facts renders the rows that are set (false and null rows are left out) as a dl of class cls. */
export function Facts({ class: cls, facts }: { class: string; facts: (Fact | false | null | undefined | '')[] }) {
  return (
    <dl class={cls}>
      {facts.map(
        (f) =>
          f && (
            <div key={f[0]}>
              <dt>{f[0]}</dt>
              <dd class={f[2]}>{f[1]}</dd>
            </div>
          ),
      )}
    </dl>
  );
}
