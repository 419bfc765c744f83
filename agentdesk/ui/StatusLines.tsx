// The status lines of a desk page that loads a list and acts on it: the
// last action's notice (always present, so screen readers hear each new
// one), the error, and the spinner while the list loads.

/** StatusLines shows the notice of the last action and the error, if any. */
export function StatusLines({ notice, error }: { notice: string; error: string }) {
  return (
    <>
      <p class={notice ? 'status status-ok' : 'status'} role="status">
        {notice}
      </p>
      {error && (
        <p class="status status-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

/** Loading is the spinner line while `what` loads ("Loading products…"). */
export function Loading({ what }: { what: string }) {
  return (
    <p class="status status-busy" aria-busy="true">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}
