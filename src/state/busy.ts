// Whether a training run holds the model. A tiny module of its own so store.ts can read it without
// importing the Train store (which imports store.ts).
export const modelBusy = { training: false };

export const TRAINING_BUSY_MESSAGE = 'A training run is using the model (Train view). Stop it there or wait for it to finish, then try again.';
