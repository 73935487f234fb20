import { useApp } from '../../state/store';
import { WEIGHT_CHOICES, type ModelSummary } from '../../model/api';
import { count, int, mib } from '../format';

/** how the kernels read each stored form (the arithmetic is f32 in all) */
const READ_AS: Record<ModelSummary['weightFormat'], string> = {
  'f16-native': 'read as f16 through the shader-f16 feature; arithmetic in f32',
  f16: 'packed two to a u32, widened with unpack2x16float; arithmetic in f32',
  f32: 'stored and read as f32',
  q8: 'blocks of 32 signed bytes and an f32 scale, dequantised inside each kernel; arithmetic in f32',
  q4: 'blocks of 32 nibbles and an f32 scale (the token table: 8-bit blocks), dequantised inside each kernel; arithmetic in f32',
};

function weightsText(w: ModelSummary['weights']): string {
  const c = WEIGHT_CHOICES.find((c) => c.id === w);
  return c ? `${c.label} (${c.memory})` : w;
}

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
        <dd title={READ_AS[summary.weightFormat]} data-testid="summary-weights">
          {weightsText(summary.weights)}
        </dd>
        <dt>Chat template</dt>
        <dd>{summary.hasChatTemplate ? 'yes (instruct model)' : 'no (base model)'}</dd>
      </dl>
    </section>
  );
}
