// "Share this scene": a link that opens the same personas, question, prompt and view.
import { useState } from 'react';
import { useLab } from '../../state/lab';

export function ShareButton() {
  const url = useLab((s) => s.shareUrl);
  const [copied, setCopied] = useState(false);
  return (
    <div className="share">
      <button
        className="secondary"
        data-testid="share-link"
        onClick={() => {
          const u = useLab.getState().makeShareUrl();
          setCopied(false);
          void navigator.clipboard?.writeText(u).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        Share this scene
      </button>
      {url && (
        <label className="share-url">
          <span className="sr-only">Link to this scene</span>
          <input type="text" readOnly value={url} data-testid="share-url" onFocus={(e) => e.target.select()} />
          <span className="muted small" role="status">
            {copied ? 'Copied.' : 'Copy this link.'}
          </span>
        </label>
      )}
    </div>
  );
}
