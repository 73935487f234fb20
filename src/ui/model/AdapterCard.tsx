import { useApp } from '../../state/store';
import { mib, int } from '../format';
import type { KernelVariants } from '../../model/api';

function Feature({ on, name }: { on: boolean; name: string }) {
  return (
    <li className={on ? 'feature on' : 'feature off'}>
      <span aria-hidden>{on ? '✓' : '✗'}</span> {name}
      <span className="sr-only">{on ? ' supported' : ' not supported'}</span>
    </li>
  );
}

/** the decode GEMV forms in words (src/gpu/variants.ts GemvForm) */
const GEMV_FORM: Record<KernelVariants['gemv'], string> = { vec4: 'a thread per row', coalesced: 'a workgroup per 4 rows', subgroup: 'a subgroup per 4 rows' };
const GEMV_NAME: Record<KernelVariants['gemv'], string> = { vec4: 'per-row GEMVs', coalesced: 'workgroup GEMVs', subgroup: 'subgroup GEMVs' };

export function AdapterCard() {
  const info = useApp((s) => s.adapter);
  const status = useApp((s) => s.gpuStatus);
  const variants = useApp((s) => s.kernelVariants);
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
            <Feature on={info.features.subgroups} name={info.features.subgroups && info.subgroupMinSize ? `subgroups (${info.subgroupMinSize}+ lanes)` : 'subgroups'} />
            <Feature on={info.features.timestampQuery} name="timestamp-query" />
          </ul>
          <dl className="facts">
            <dt>Largest storage binding</dt>
            <dd>{mib(info.limits.maxStorageBufferBindingSize)}</dd>
            <dt>Largest buffer</dt>
            <dd>{mib(info.limits.maxBufferSize)}</dd>
            <dt>Workgroups per dimension</dt>
            <dd>{int(info.limits.maxComputeWorkgroupsPerDimension)}</dd>
            {variants && (
              <>
                <dt>Decode kernels</dt>
                <dd data-testid="kernel-variants" title={`${GEMV_FORM[variants.gemv]}. ${variants.reason}`}>
                  {GEMV_NAME[variants.gemv]}, {variants.adapterPath} adapter path
                </dd>
              </>
            )}
          </dl>
        </>
      )}
    </section>
  );
}
