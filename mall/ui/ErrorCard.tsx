import { linkClick } from './router';

/** ErrorCard explains a failed load and offers the way back downtown. */
export function ErrorCard({ title, message }: { title: string; message: string }) {
  return (
    <div class="card error-card" role="alert">
      <h2>{title}</h2>
      <p class="muted">{message}</p>
      <a class="btn btn-secondary" href="/" onClick={linkClick('/')}>
        Back to downtown
      </a>
    </div>
  );
}
