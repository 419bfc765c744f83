// TableHead: the header row of a data table.

/** Column is one column's header: its label, a class (e.g. "num"), and whether the label is for screen readers only. */
export interface Column {
  label: string;
  class?: string;
  srOnly?: boolean;
}

/** TableHead renders a thead with one th (scope col) a column. */
export function TableHead({ columns }: { columns: Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c.label} scope="col" class={c.class}>
            {c.srOnly ? <span class="sr-only">{c.label}</span> : c.label}
          </th>
        ))}
      </tr>
    </thead>
  );
}
