import { useApp } from '../../state/store';
import { mib, int } from '../format';

function Feature({ on, name }: { on: boolean; name: string }) {
  return (
    <li className={on ? 'feature on' : 'feature off'}>
      <span aria-hidden>{on ? '✓' : '✗'}</span> {name}
      <span className="sr-only">{on ? ' supported' : ' not supported'}</span>
    </li>
  );
}

export function AdapterCard() {
  const info = useApp((s) => s.adapter);
  const status = useApp((s) => s.gpuStatus);
  return (
    <section className="card" data-testid="adapter-info" data-status={status} aria-labelledby="adapter-h">
      <h2 id="adapter-h">GPU adapter</h2>
      {!info && <p className="muted">{status === 'starting' ? 'Starting WebGPU…' : status === 'lost' ? 'Device lost.' : status === 'error' ? 'Not available (see the message above).' : 'Not started.'}</p>}
      {info && (
        <>
          <p className="adapter-name">
            <strong>{info.vendor || 'unknown vendor'}</strong>
            {info.architecture && <> · {info.architecture}</>}
            {info.isFallbackAdapter && (
              <span className="badge warn" title="A software adapter: works everywhere, but slowly">
                fallback adapter (software, slow)
              </span>
            )}
          </p>
          {(info.description || info.device) && <p className="muted small">{info.description || info.device}</p>}
          <ul className="features" aria-label="Features">
            <Feature on={info.features.shaderF16} name="shader-f16" />
            <Feature on={info.features.subgroups} name="subgroups" />
            <Feature on={info.features.timestampQuery} name="timestamp-query" />
          </ul>
          <dl className="facts">
            <dt>Largest storage binding</dt>
            <dd>{mib(info.limits.maxStorageBufferBindingSize)}</dd>
            <dt>Largest buffer</dt>
            <dd>{mib(info.limits.maxBufferSize)}</dd>
            <dt>Workgroups per dimension</dt>
            <dd>{int(info.limits.maxComputeWorkgroupsPerDimension)}</dd>
          </dl>
        </>
      )}
    </section>
  );
}
