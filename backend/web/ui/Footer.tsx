// Footer: one quiet line at the bottom of every app.

/** Footer says which app this is and how sign-in works. */
export function Footer({ note }: { note: string }) {
  return (
    <footer class="footer">
      <div class="footer-inner">
        <span>© livemall — the mall where you talk to a person.</span>
        <span>{note}</span>
      </div>
    </footer>
  );
}
