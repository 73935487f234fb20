import { useApp } from '../../state/store';
import { count, int, mib } from '../format';

export function ModelSummaryCard() {
  const summary = useApp((s) => s.summary);
  const status = useApp((s) => s.modelStatus);
  if (!summary || status !== 'ready') return null;
  return (
    <section className="card" data-testid="model-summary" aria-labelledby="summary-h">
      <h2 id="summary-h">Loaded model</h2>
      <p className="model-label">{summary.label}</p>
      <dl className="facts">
        <dt>Architecture</dt>
        <dd>{summary.architecture}</dd>
        <dt>Parameters</dt>
        <dd title={int(summary.numParams)}>{count(summary.numParams)}</dd>
        <dt>Layers</dt>
        <dd>{int(summary.numLayers)}</dd>
        <dt>Hidden size</dt>
        <dd>{int(summary.hiddenSize)}</dd>
        <dt>Vocabulary</dt>
        <dd>{int(summary.vocabSize)} tokens</dd>
        <dt>GPU memory</dt>
        <dd>{mib(summary.gpuBytes)}</dd>
        <dt>Weights</dt>
        <dd title={summary.weightFormat === 'f16-native' ? 'read as f16 through the shader-f16 feature; arithmetic in f32' : summary.weightFormat === 'f16' ? 'packed two to a u32, widened with unpack2x16float; arithmetic in f32' : 'stored and read as f32'}>
          {summary.weights === 'f16' ? 'f16 (half the memory of f32)' : 'f32'}
        </dd>
        <dt>Chat template</dt>
        <dd>{summary.hasChatTemplate ? 'yes (instruct model)' : 'no (base model)'}</dd>
      </dl>
    </section>
  );
}
