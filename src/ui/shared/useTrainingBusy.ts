// While a run trains, the model is the run's: the views say so where the model is named, and the buttons that
// would be refused are disabled with the reason on hover (rather than refused after the click).
import { useTrain } from '../../state/train';

export const TRAINING_BUSY_TITLE = 'A training run is using the model (Train view): stop it there or wait for it to finish';

/** true while this tab's run trains (or pauses) on the model */
export function useTrainingBusy(): boolean {
  return useTrain((s) => s.activeId !== null);
}
