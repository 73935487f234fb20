import type { ReactNode } from 'react';

export function ViewHeader({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <header className="view-header">
      <div>
        <h1>{title}</h1>
        <p className="lead">{children}</p>
      </div>
      {actions && <div className="view-actions">{actions}</div>}
    </header>
  );
}
