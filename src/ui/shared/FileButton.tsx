// A button that opens the file picker, and the hidden input behind it: one file, handed over as it is picked.
import { useRef, type ReactNode } from 'react';

export function FileButton(props: { accept: string; onFile(f: File): void; testId: string; inputTestId: string; className?: string; disabled?: boolean; title?: string; children: ReactNode }) {
  const input = useRef<HTMLInputElement | null>(null);
  return (
    <>
      <input
        ref={input}
        type="file"
        accept={props.accept}
        hidden
        data-testid={props.inputTestId}
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = ''; // the same file can be picked again
          if (f) props.onFile(f);
        }}
      />
      <button className={props.className} data-testid={props.testId} disabled={props.disabled} title={props.title} onClick={() => input.current?.click()}>
        {props.children}
      </button>
    </>
  );
}
