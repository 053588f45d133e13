import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';

/** The server's error as it gave it: status, code, message and details. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiError) {
    return (
      <div class="error" role="alert">
        <strong>
          {error.status ? `${error.status} ` : ''}
          {error.code}
        </strong>
        : {error.message}
        {error.details && Object.keys(error.details).length > 0 ? (
          <pre class="details">{JSON.stringify(error.details, null, 2)}</pre>
        ) : null}
      </div>
    );
  }
  return (
    <div class="error" role="alert">
      {String((error as Error).message ?? error)}
    </div>
  );
}

/** Loads `load()` on mount and whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): { data?: T; error?: unknown; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data }),
      (error: unknown) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** One horizontal bar per label, its width the score (0–1). */
export function ScoreBars({ items, label }: { items: { label: string; score: number }[]; label: string }) {
  return (
    <ul class="bars" aria-label={label}>
      {items.map((item) => (
        <li key={item.label}>
          <span class="bar-label">{item.label}</span>
          <span class="bar-track" role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={item.score} aria-label={item.label}>
            <span class="bar-fill" style={{ width: `${Math.max(0, Math.min(1, item.score)) * 100}%` }} />
          </span>
          <span class="bar-value">{item.score.toFixed(4)}</span>
        </li>
      ))}
    </ul>
  );
}

/**
 * A confirmation in a native <dialog> (focus is trapped and Escape closes it, as browsers do for
 * modal dialogs). `onConfirm` runs on "Confirm".
 */
export function ConfirmButton(props: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
  reason?: string;
  class?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button
        type="button"
        class={props.class}
        disabled={props.disabled}
        title={props.disabled ? props.reason : undefined}
        onClick={() => dialog.current?.showModal()}
      >
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.label}>
        <form method="dialog">
          <p>{props.question}</p>
          <div class="row">
            <button value="cancel">Cancel</button>
            <button value="ok" class="primary" onClick={() => props.onConfirm()}>
              Confirm
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

export function Card({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id ?? undefined}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export const ADMIN_ONLY = 'Needs an admin key: this key has the inference scope only.';

export function formatTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString();
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}
