// A question before something that cannot be undone (deleting): the browser's own modal <dialog>, so focus stays
// inside it, Escape cancels, and screen readers announce it by its text. The safe answer has the focus first.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

let seq = 0;

export function Confirm(p: {
  open: boolean;
  text: string;
  yes: string;
  no: string;
  onYes: () => void;
  onNo: () => void;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useRef(`confirm${++seq}`).current;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (p.open && !d.open) d.showModal();
    if (!p.open && d.open) d.close();
  }, [p.open]);
  return (
    <dialog
      ref={ref}
      class="card confirm"
      aria-labelledby={`${id}-text`}
      onCancel={(e) => {
        e.preventDefault();
        p.onNo();
      }}
    >
      <p id={`${id}-text`}>
        <bdi>{p.text}</bdi>
      </p>
      {p.children}
      <div class="row-end">
        <button type="button" class="secondary" autoFocus onClick={p.onNo}>
          {p.no}
        </button>
        <button type="button" data-confirm="yes" onClick={p.onYes}>
          {p.yes}
        </button>
      </div>
    </dialog>
  );
}
