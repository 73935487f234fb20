import { useApp } from '../../state/store';
import { DeviceLostPanel, ErrorPanel } from '../ErrorPanel';
import { AdapterCard } from './AdapterCard';
import { ChatPanel } from './ChatPanel';
import { ModelPicker } from './ModelPicker';
import { ModelSummaryCard } from './ModelSummaryCard';
import { LoraCard } from './LoraCard';

export function ModelView() {
  const gpuError = useApp((s) => s.errors.gpu);
  const lost = useApp((s) => s.deviceLost);
  const restart = useApp((s) => s.restartGpu);
  const restarting = useApp((s) => s.gpuStatus === 'starting');
  return (
    <div className="model-view">
      {(gpuError || lost) && (
        <div className="banner-area">
          {lost && <DeviceLostPanel message={lost} onRestart={() => void restart()} restarting={restarting} />}
          {gpuError && !lost && <ErrorPanel area="gpu" error={gpuError} />}
        </div>
      )}
      <div className="columns">
        <div className="side">
          <ModelPicker />
          <ModelSummaryCard />
          <LoraCard />
          <AdapterCard />
        </div>
        <div className="main">
          <ChatPanel />
        </div>
      </div>
    </div>
  );
}
